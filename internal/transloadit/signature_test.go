package transloadit

import "testing"

// Digests computed independently (HMAC of params with "secret"), and the
// sha384 one checked against Transloadit's own signParamsSync.
const (
	sigParams = `{"auth":{"key":"k","expires":"2030-01-01T00:00:00.000Z"},"steps":{}}`
	sigSHA1   = "852b27f639a43b62c00ac361f7299b6309721c41"
	sigSHA256 = "26ee42a8b1c7c061bcf92396a4d1eb916f12fae71dda9da46556149267811aba"
	sigSHA384 = "81c1734654fe32190a00bedf12b2e9a1196f9f8217f6f50387df8b22c8618edbac1652e0fe7514f2fad5faa6c9e2f531"
)

func TestSign(t *testing.T) {
	if got := Sign("secret", sigParams); got != "sha384:"+sigSHA384 {
		t.Errorf("Sign = %q; want sha384:%s", got, sigSHA384)
	}
}

func TestVerifySignature(t *testing.T) {
	tests := []struct {
		name, secret, params, sig string
		want                      bool
	}{
		{"sha384", "secret", sigParams, "sha384:" + sigSHA384, true},
		{"sha256", "secret", sigParams, "sha256:" + sigSHA256, true},
		{"sha1", "secret", sigParams, "sha1:" + sigSHA1, true},
		{"legacy unprefixed sha1", "secret", sigParams, sigSHA1, true},
		{"upper-case hex", "secret", sigParams, "sha1:852B27F639A43B62C00AC361F7299B6309721C41", true},
		{"wrong secret", "other", sigParams, "sha384:" + sigSHA384, false},
		{"params changed by one byte", "secret", sigParams + " ", "sha384:" + sigSHA384, false},
		{"algorithm mismatch", "secret", sigParams, "sha256:" + sigSHA384, false},
		{"unknown algorithm", "secret", sigParams, "md5:" + sigSHA1, false},
		{"upper-case algorithm", "secret", sigParams, "SHA384:" + sigSHA384, false},
		{"truncated", "secret", sigParams, "sha384:" + sigSHA384[:40], false},
		{"empty", "secret", sigParams, "", false},
		{"prefix only", "secret", sigParams, "sha384:", false},
	}
	for _, tt := range tests {
		if got := VerifySignature(tt.secret, tt.params, tt.sig); got != tt.want {
			t.Errorf("%s: VerifySignature = %v; want %v", tt.name, got, tt.want)
		}
	}
}
