package transloadit

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"strings"
)

// Sign returns the signature of params (the exact string sent) with an
// Auth Secret, as current SDKs send it: "sha384:<hex>".
func Sign(secret, params string) string {
	return "sha384:" + hexHMAC(sha512.New384, secret, params)
}

// VerifySignature checks sig against params. It accepts the prefixed forms
// sha1:, sha256: and sha384:, and an unprefixed legacy sha1 hex digest.
// The comparison is constant-time.
func VerifySignature(secret, params, sig string) bool {
	alg, digest, ok := strings.Cut(sig, ":")
	if !ok {
		alg, digest = "sha1", sig
	}
	var h func() hash.Hash
	switch alg {
	case "sha1":
		h = sha1.New
	case "sha256":
		h = sha256.New
	case "sha384":
		h = sha512.New384
	default:
		return false
	}
	want := hexHMAC(h, secret, params)
	return hmac.Equal([]byte(want), []byte(strings.ToLower(digest)))
}

func hexHMAC(h func() hash.Hash, secret, msg string) string {
	m := hmac.New(h, []byte(secret))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}
