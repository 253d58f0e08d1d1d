// Package redact keeps credentials carried in URLs out of logs and
// messages: the user info of a URL (nats://user:password@host,
// nats://token@host) is replaced by a marker, whether the URL parses or
// not.
package redact

import (
	"net/url"
	"regexp"
	"strings"
)

// Marker replaces what is redacted.
const Marker = "[redacted]"

// URL returns raw with the user info masked: the password of
// user:password (the user name stays, to tell accounts apart), or the
// whole of a lone user part, which is a token (nats://token@host). A
// string that does not parse as a URL gets [Text]'s treatment, and a
// scheme-less one containing "@" is replaced whole, since what is secret
// in it cannot be told.
func URL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Opaque != "" || u.Host == "" && strings.Contains(raw, "@"):
		return unparsed(raw)
	case u.User == nil:
		return raw
	}
	if _, hasPass := u.User.Password(); hasPass {
		u.User = url.UserPassword(u.User.Username(), Marker)
	} else {
		u.User = url.User(Marker)
	}
	return u.String()
}

// unparsed redacts a string that is not a well-formed URL.
func unparsed(raw string) string {
	s := Text(raw)
	if s == raw && strings.Contains(raw, "@") {
		return Marker
	}
	return s
}

// userinfo matches a scheme and the user info after it: everything up to
// the last "@" before the authority ends. It spans spaces on purpose: an
// unparsable URL like nats://user:pass word@host must lose all of it.
var userinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@]*(?:@[^/?#@]*)*@`)

// Text returns s with the user info of every URL in it replaced by
// [Marker], parsed or not: "dial nats://u:p@h:1 failed" becomes
// "dial nats://[redacted]@h:1 failed". It over-redacts rather than leak:
// without a "/" between them, text from the "://" to the last "@" goes.
func Text(s string) string {
	if !strings.Contains(s, "://") || !strings.Contains(s, "@") {
		return s
	}
	return userinfo.ReplaceAllString(s, "${1}"+Marker+"@")
}
