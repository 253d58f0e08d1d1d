// Package buildinfo names the running build: its version and the
// User-Agent it presents to the Transloadit API.
package buildinfo

import "runtime"

// Version is the release of this build. Release builds override it with
// -ldflags "-X github.com/tlbridge/tlbridge/internal/buildinfo.Version=1.2.3".
var Version = "0.1.0"

// UserAgent returns the User-Agent header tlbridge sends upstream, e.g.
// "tlbridge/0.1.0 (go1.26.8)", so Transloadit can tell its traffic apart.
func UserAgent() string {
	return "tlbridge/" + Version + " (" + runtime.Version() + ")"
}
