package redact

import (
	"strings"
	"testing"
)

// secrets must never survive redaction.
var secrets = []string{"Pa55w0rd", "SECRET", "hunter2", "s3cr3ttoken"}

func TestURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"nats://127.0.0.1:4222", "nats://127.0.0.1:4222"},
		{"nats://bridge:hunter2@nats-1:4222", "nats://bridge:%5Bredacted%5D@nats-1:4222"},
		{"nats://s3cr3ttoken@nats-2:4222", "nats://%5Bredacted%5D@nats-2:4222"},
		{"nats://bridge:Pa55w0rd SECRET@127.0.0.1:24223", "nats://[redacted]@127.0.0.1:24223"},
		{"nats://bridge:Pa55w0rd@127.0.0.1:x", "nats://[redacted]@127.0.0.1:x"},
		{"nats://bridge:Pa55w0rd@[::1", "nats://[redacted]@[::1"},
		{"bridge:Pa55w0rd@127.0.0.1:4222", "[redacted]"},
		{"Pa55w0rd SECRET@127.0.0.1", "[redacted]"},
		{"not a url", "not a url"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := URL(tt.in); got != tt.want {
			t.Errorf("URL(%q) = %q; want %q", tt.in, got, tt.want)
		}
		checkClean(t, "URL", URL(tt.in))
	}
}

func TestText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"no url here", "no url here"},
		{"mail me@example.com", "mail me@example.com"},
		{`parse "nats://bridge:Pa55w0rd SECRET@127.0.0.1:24223": net/url: invalid userinfo`,
			`parse "nats://[redacted]@127.0.0.1:24223": net/url: invalid userinfo`},
		{`parse "nats://bridge:Pa55w0rd@127.0.0.1:x": invalid port ":x" after host`,
			`parse "nats://[redacted]@127.0.0.1:x": invalid port ":x" after host`},
		{"nats://a:hunter2@h1:4222, nats://s3cr3ttoken@h2:4222", "nats://[redacted]@h1:4222, nats://[redacted]@h2:4222"},
		{"Get \"https://u:Pa55w0rd@api2.transloadit.com/assemblies/x\": EOF", "Get \"https://[redacted]@api2.transloadit.com/assemblies/x\": EOF"},
		{"https://api2.transloadit.com/a@b", "https://api2.transloadit.com/a@b"},
		{"nats://p@ss@word@host:1", "nats://[redacted]@host:1"},
	}
	for _, tt := range tests {
		if got := Text(tt.in); got != tt.want {
			t.Errorf("Text(%q) = %q; want %q", tt.in, got, tt.want)
		}
		checkClean(t, "Text", Text(tt.in))
	}
}

// FuzzText: whatever the secret (short of the bytes that end a URL's
// authority), it is gone from a URL and from a quoted URL in a message.
func FuzzText(f *testing.F) {
	f.Add("Pa55w0rd")
	f.Add("pass word")
	f.Add("a:b:c")
	f.Fuzz(func(t *testing.T, secret string) {
		if strings.ContainsAny(secret, "/?#@") {
			return
		}
		tests := []struct{ in, want string }{
			{"nats://u:" + secret + "@h:1", "nats://[redacted]@h:1"},
			{`err "wss://` + secret + `@h/x"`, `err "wss://[redacted]@h/x"`},
		}
		for _, tt := range tests {
			if got := Text(tt.in); got != tt.want {
				t.Errorf("Text(%q) = %q; want %q", tt.in, got, tt.want)
			}
		}
	})
}

func checkClean(t *testing.T, fn, s string) {
	t.Helper()
	for _, sec := range secrets {
		if strings.Contains(s, sec) {
			t.Errorf("%s output %q holds %q", fn, s, sec)
		}
	}
}
