package transloadittest_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
)

func legacySHA1(secret, params string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(params))
	return hex.EncodeToString(m.Sum(nil))
}
