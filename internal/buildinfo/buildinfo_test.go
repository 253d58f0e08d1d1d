package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestUserAgent(t *testing.T) {
	old := Version
	t.Cleanup(func() { Version = old })
	Version = "9.8.7"
	got := UserAgent()
	if !strings.HasPrefix(got, "tlbridge/9.8.7 (go") || !strings.HasSuffix(got, ")") {
		t.Errorf("UserAgent() = %q; want tlbridge/9.8.7 (go...)", got)
	}
}

func TestFromBuildInfo(t *testing.T) {
	stamped := &debug.BuildInfo{GoVersion: "go1.26.1", Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "4375b86c"}, {Key: "vcs.time", Value: "2026-01-02T03:04:05Z"},
		{Key: "vcs.modified", Value: "true"}, {Key: "CGO_ENABLED", Value: "0"},
	}}
	platform := runtime.GOOS + "/" + runtime.GOARCH
	tests := []struct {
		name         string
		bi           *debug.BuildInfo
		commit, date string // the -X variables
		want         Info
	}{
		{"VCS stamp", stamped, "", "", Info{Version: Version, Commit: "4375b86c", Modified: true,
			Date: "2026-01-02T03:04:05Z", GoVersion: "go1.26.1", Platform: platform}},
		{"linker flags win", stamped, "abc", "2026-02-03", Info{Version: Version, Commit: "abc", Modified: true,
			Date: "2026-02-03", GoVersion: "go1.26.1", Platform: platform}},
		{"no build info", nil, "", "", Info{Version: Version, GoVersion: runtime.Version(), Platform: platform}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			oldC, oldD := Commit, Date
			t.Cleanup(func() { Commit, Date = oldC, oldD })
			Commit, Date = tt.commit, tt.date
			if got := fromBuildInfo(tt.bi); got != tt.want {
				t.Errorf("fromBuildInfo() = %+v; want %+v", got, tt.want)
			}
		})
	}
}

func TestInfoString(t *testing.T) {
	got := Info{Version: "1.2.3", Commit: "abc", Modified: true, GoVersion: "go1.26.1", Platform: "linux/amd64"}.String()
	want := "tlbridge 1.2.3\n  commit  abc (modified)\n  date    unknown\n  go      go1.26.1 linux/amd64\n"
	if got != want {
		t.Errorf("Info.String() = %q; want %q", got, want)
	}
}
