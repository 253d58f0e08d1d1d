// Package buildinfo names the running build: its version, commit, date
// and Go version, and the User-Agent it presents to the Transloadit API.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Version is the release of this build. Release builds override it with
// -ldflags "-X github.com/tlbridge/tlbridge/internal/buildinfo.Version=1.2.3".
var Version = "0.1.0"

// Commit and Date may be set the same way (-X …buildinfo.Commit=…,
// -X …buildinfo.Date=…) where the build has no VCS stamp, as in a
// container build without .git. Otherwise [Read] takes them from the
// stamp Go records: the revision and the commit's time.
var Commit, Date string

// UserAgent returns the User-Agent header tlbridge sends upstream, e.g.
// "tlbridge/0.1.0 (go1.26.8)", so Transloadit can tell its traffic apart.
func UserAgent() string {
	return "tlbridge/" + Version + " (" + runtime.Version() + ")"
}

// Info describes a build.
type Info struct {
	Version string
	// Commit is the VCS revision, "" when unknown.
	Commit string
	// Modified is set when the work tree had uncommitted changes.
	Modified bool
	// Date is the build date, or the commit's time; "" when unknown.
	Date string
	// GoVersion is the toolchain that built the binary, e.g. "go1.26.8".
	GoVersion string
	// Platform is GOOS/GOARCH.
	Platform string
}

// Read returns this binary's Info, from the variables above and
// debug.ReadBuildInfo.
func Read() Info {
	bi, _ := debug.ReadBuildInfo()
	return fromBuildInfo(bi)
}

func fromBuildInfo(bi *debug.BuildInfo) Info {
	info := Info{Version: Version, Commit: Commit, Date: Date, GoVersion: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi == nil {
		return info
	}
	info.GoVersion = bi.GoVersion
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision" && info.Commit == "":
			info.Commit = s.Value
		case s.Key == "vcs.time" && info.Date == "":
			info.Date = s.Value
		case s.Key == "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}

// String formats the Info as the version command prints it: the version
// on the first line, then one line each for commit, date and Go.
func (i Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tlbridge %s\n", i.Version)
	commit := orUnknown(i.Commit)
	if i.Modified {
		commit += " (modified)"
	}
	fmt.Fprintf(&b, "  commit  %s\n  date    %s\n  go      %s %s\n", commit, orUnknown(i.Date), i.GoVersion, i.Platform)
	return b.String()
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
