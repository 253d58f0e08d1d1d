package transloadit

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// DefaultAPIBase is the origin that serves every Assembly's status when its
// machine host is gone.
const DefaultAPIBase = "https://api2.transloadit.com"

// ValidAssemblyID reports whether id is 32 lower-case hex characters, the
// shape of an Assembly ID (a UUIDv4 without dashes).
func ValidAssemblyID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// CheckAssemblyID returns an error wrapping ErrInvalidAssemblyID unless id
// is valid.
func CheckAssemblyID(id string) error {
	if !ValidAssemblyID(id) {
		return fmt.Errorf("%w: %q", ErrInvalidAssemblyID, truncate(id, 64))
	}
	return nil
}

// StatusURL joins an API base (e.g. DefaultAPIBase) and an Assembly ID.
func StatusURL(base, id string) string {
	return strings.TrimRight(base, "/") + "/assemblies/" + id
}

// BaseURL turns a machine-host status URL into the same path on the origin
// host: https://api2-jane.transloadit.com/assemblies/X becomes
// https://api2.transloadit.com/assemblies/X. A URL that names no machine
// host is returned unchanged.
func BaseURL(machineURL string) (string, error) {
	u, err := url.Parse(machineURL)
	if err != nil {
		return "", err
	}
	host := u.Hostname()
	first, rest, ok := strings.Cut(host, ".")
	if !ok || !strings.HasPrefix(first, "api2-") {
		return machineURL, nil
	}
	port := u.Port()
	u.Host = "api2." + rest
	if port != "" {
		u.Host = net.JoinHostPort(u.Host, port)
	}
	return u.String(), nil
}

// AssemblyIDFromURL extracts the Assembly ID from a status URL
// (.../assemblies/<id>) or an update stream URL (...?assembly=<id>).
func AssemblyIDFromURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	id := u.Query().Get("assembly")
	if id == "" {
		segs := strings.Split(strings.Trim(u.Path, "/"), "/")
		if n := len(segs); n >= 2 && segs[n-2] == "assemblies" {
			id = segs[n-1]
		}
	}
	if err := CheckAssemblyID(id); err != nil {
		return "", err
	}
	return id, nil
}

// StreamURL returns the Assembly's update stream URL: update_stream_url
// when set, else websocket_url + "?assembly=<id>" as Uppy builds it, else "".
func (s *Status) StreamURL() string {
	if s.UpdateStreamURL != "" {
		return s.UpdateStreamURL
	}
	if s.WebsocketURL == "" || s.AssemblyID == "" {
		return ""
	}
	sep := "?"
	if strings.Contains(s.WebsocketURL, "?") {
		sep = "&"
	}
	return s.WebsocketURL + sep + "assembly=" + url.QueryEscape(s.AssemblyID)
}

// AllowList decides which URLs may be fetched: https (http only when
// AllowHTTP), no user info, and a host equal to one of HostSuffixes or a
// subdomain of one (IP addresses only match exactly). It keeps a watcher
// from being pointed at arbitrary hosts (SSRF).
type AllowList struct {
	HostSuffixes []string
	AllowHTTP    bool
}

// Check parses raw and returns it if allowed, or an error wrapping
// ErrURLNotAllowed.
func (a AllowList) Check(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrURLNotAllowed, err)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && a.AllowHTTP:
	default:
		return nil, fmt.Errorf("%w: scheme %q", ErrURLNotAllowed, u.Scheme)
	}
	if u.User != nil || u.Opaque != "" {
		return nil, fmt.Errorf("%w: %s", ErrURLNotAllowed, "user info or opaque url")
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "" {
		return nil, fmt.Errorf("%w: no host", ErrURLNotAllowed)
	}
	hostIP := net.ParseIP(host) != nil
	for _, suf := range a.HostSuffixes {
		suf = NormalizeHost(suf)
		if suf == "" {
			continue
		}
		// IP addresses match exactly: "0.0.1" must not admit 127.0.0.1,
		// nor "127.0.0.1" a name like x.127.0.0.1.
		exact := hostIP || net.ParseIP(suf) != nil
		if host == suf || !exact && strings.HasSuffix(host, "."+suf) {
			return u, nil
		}
	}
	return nil, fmt.Errorf("%w: host %q", ErrURLNotAllowed, host)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// NormalizeHost is an allow-list entry as hosts are compared: trimmed,
// without leading or trailing dots, lower case.
func NormalizeHost(h string) string {
	return strings.ToLower(strings.Trim(strings.TrimSpace(h), "."))
}
