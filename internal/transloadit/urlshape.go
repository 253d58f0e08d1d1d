package transloadit

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// CheckStatusURL accepts an assembly_ssl_url as Transloadit issues it, for
// Assembly id: a URL the allow list admits ([AllowList.Check]), on the
// default port, with the path /assemblies/<id> and no query or fragment.
// An empty id accepts any valid Assembly ID. It returns the parsed URL
// and the Assembly ID it names. Errors wrap [ErrURLNotAllowed]: also
// [ErrURLShape] for another shape, [ErrURLWrongAssembly] for another
// Assembly's URL; and [ErrInvalidAssemblyID] for an invalid id argument.
// Intake, the poller and the stream client all call it (or
// [AllowList.CheckStreamURL]), so a URL one of them accepts is one the
// others fetch.
func (a AllowList) CheckStatusURL(raw, id string) (*url.URL, string, error) {
	u, err := a.checkAssemblyURL(raw)
	if err != nil {
		return nil, "", err
	}
	got, ok := strings.CutPrefix(u.EscapedPath(), "/assemblies/")
	if !ok || u.RawQuery != "" || u.ForceQuery {
		return nil, "", fmt.Errorf("%w: status url %s: want /assemblies/<id> and no query", ErrURLShape, describe(u))
	}
	got, err = matchID(got, id)
	if err != nil {
		return nil, "", err
	}
	return u, got, nil
}

// CheckStreamURL accepts an update_stream_url as Transloadit issues it,
// for Assembly id: a URL the allow list admits, on the default port, with
// the path /ws<digits> and the query assembly=<id> alone (the websocket_url
// plus "?assembly=<id>", as Uppy builds it). An empty id accepts any valid
// Assembly ID. It returns the parsed URL and the Assembly ID it names;
// errors are those of [AllowList.CheckStatusURL].
func (a AllowList) CheckStreamURL(raw, id string) (*url.URL, string, error) {
	u, err := a.checkAssemblyURL(raw)
	if err != nil {
		return nil, "", err
	}
	q, ok := strings.CutPrefix(u.RawQuery, "assembly=")
	if !wsPath(u.EscapedPath()) || !ok {
		return nil, "", fmt.Errorf("%w: stream url %s: want /ws<digits>?assembly=<id>", ErrURLShape, describe(u))
	}
	got, err := matchID(q, id)
	if err != nil {
		return nil, "", err
	}
	return u, got, nil
}

// checkAssemblyURL runs the checks both URL kinds share: the allow list,
// no fragment, and the default port except on an explicit test host.
func (a AllowList) checkAssemblyURL(raw string) (*url.URL, error) {
	u, err := a.Check(raw)
	if err != nil {
		return nil, err
	}
	if strings.Contains(raw, "#") { // also an empty fragment
		return nil, fmt.Errorf("%w: %s: fragment", ErrURLShape, describe(u))
	}
	port := u.Port()
	if port == "" || u.Scheme == "https" && port == "443" || a.testHost(u.Hostname()) {
		return u, nil
	}
	return nil, fmt.Errorf("%w: %s: port %s (only the default port)", ErrURLShape, describe(u), truncate(port, 8))
}

// testHost reports whether host may carry a port: plain http is allowed
// and the allow list names host itself, a loopback IP or "localhost", as
// tests and a local simulator use.
func (a AllowList) testHost(host string) bool {
	if !a.AllowHTTP {
		return false
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if ip := net.ParseIP(host); !(host == "localhost" || ip != nil && ip.IsLoopback()) {
		return false
	}
	for _, suf := range a.HostSuffixes {
		if NormalizeHost(suf) == host {
			return true
		}
	}
	return false
}

// matchID checks that got is a valid Assembly ID and, when want is set,
// that it is want.
func matchID(got, want string) (string, error) {
	if want != "" {
		if err := CheckAssemblyID(want); err != nil {
			return "", err
		}
	}
	if !ValidAssemblyID(got) {
		return "", fmt.Errorf("%w: %q is not an assembly id", ErrURLShape, truncate(got, 64))
	}
	if want != "" && got != want {
		return "", fmt.Errorf("%w: url names %s, not %s", ErrURLWrongAssembly, got, want)
	}
	return got, nil
}

// wsPath reports whether p is /ws followed by 1 to 10 digits, the path of
// a machine's update stream.
func wsPath(p string) bool {
	digits, ok := strings.CutPrefix(p, "/ws")
	if !ok || len(digits) == 0 || len(digits) > 10 {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}

// describe names a URL in an error: its host and a bounded path, never
// user info or the query.
func describe(u *url.URL) string {
	return fmt.Sprintf("%q path %q", u.Host, truncate(u.EscapedPath(), 64))
}
