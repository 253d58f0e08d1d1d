package transloadit

import (
	"errors"
	"testing"
)

func TestCheckAssemblyURLs(t *testing.T) {
	const (
		id    = "2c54108c765a4eb1ae30df68093d6686"
		other = "7828446e5acd4aa996dce3455ec914e9"
	)
	prod := AllowList{HostSuffixes: []string{"transloadit.com"}}
	test := AllowList{HostSuffixes: []string{"127.0.0.1", "localhost", "sim.example"}, AllowHTTP: true}
	status, stream := AllowList.CheckStatusURL, AllowList.CheckStreamURL
	tests := []struct {
		name    string
		stream  bool
		allow   AllowList
		in, id  string
		wantErr error
	}{
		{"status url", false, prod, "https://api2-jenks.transloadit.com/assemblies/" + id, id, nil},
		{"status url on the origin", false, prod, "https://api2.transloadit.com/assemblies/" + id, id, nil},
		{"status url, explicit 443", false, prod, "https://api2.transloadit.com:443/assemblies/" + id, id, nil},
		{"status url, any id", false, prod, "https://api2.transloadit.com/assemblies/" + id, "", nil},
		{"stream url", true, prod, "https://api2-u848ep.transloadit.com/ws20285?assembly=" + id, id, nil},
		{"stream url, any id", true, prod, "https://api2-u848ep.transloadit.com/ws20285?assembly=" + id, "", nil},
		{"simulator status url", false, test, "http://127.0.0.1:41234/assemblies/" + id, id, nil},
		{"simulator stream url", true, test, "http://127.0.0.1:41234/ws41234?assembly=" + id, id, nil},
		{"localhost with a port", false, test, "http://localhost:8080/assemblies/" + id, id, nil},

		{"another port", false, prod, "https://api2.transloadit.com:8443/assemblies/" + id, id, ErrURLShape},
		{"another port on a test name", false, test, "http://sim.example:8080/assemblies/" + id, id, ErrURLShape},
		{"loopback port without ALLOW_HTTP", false, AllowList{HostSuffixes: []string{"127.0.0.1"}}, "https://127.0.0.1:8443/assemblies/" + id, id, ErrURLShape},
		{"loopback not on the list", false, AllowList{HostSuffixes: []string{"localhost"}, AllowHTTP: true}, "http://127.0.0.1:80/assemblies/" + id, id, ErrURLNotAllowed},
		{"admin path", false, prod, "https://api2.transloadit.com/admin/secret/delete-everything", id, ErrURLShape},
		{"anything with the id in the query", false, prod, "https://api2.transloadit.com/anything?assembly=" + id, id, ErrURLShape},
		{"stream: anything with the id in the query", true, prod, "https://api2.transloadit.com/anything?assembly=" + id, id, ErrURLShape},
		{"status path with a query", false, prod, "https://api2.transloadit.com/assemblies/" + id + "?x=1", id, ErrURLShape},
		{"status path, trailing slash", false, prod, "https://api2.transloadit.com/assemblies/" + id + "/", id, ErrURLShape},
		{"status path, deeper", false, prod, "https://api2.transloadit.com/x/assemblies/" + id, id, ErrURLShape},
		{"status path, encoded slash", false, prod, "https://api2.transloadit.com/assemblies%2F" + id, id, ErrURLShape},
		{"status path, dot segments", false, prod, "https://api2.transloadit.com/assemblies/../admin/" + id, id, ErrURLShape},
		{"fragment", false, prod, "https://api2.transloadit.com/assemblies/" + id + "#x", id, ErrURLShape},
		{"stream: status path", true, prod, "https://api2.transloadit.com/assemblies/" + id, id, ErrURLShape},
		{"stream: extra query", true, prod, "https://api2.transloadit.com/ws1?assembly=" + id + "&x=1", id, ErrURLShape},
		{"stream: query first", true, prod, "https://api2.transloadit.com/ws1?x=1&assembly=" + id, id, ErrURLShape},
		{"stream: letters in ws path", true, prod, "https://api2.transloadit.com/wsx1?assembly=" + id, id, ErrURLShape},
		{"stream: bare ws", true, prod, "https://api2.transloadit.com/ws?assembly=" + id, id, ErrURLShape},
		{"stream: long ws number", true, prod, "https://api2.transloadit.com/ws12345678901?assembly=" + id, id, ErrURLShape},
		{"stream: bad id", true, prod, "https://api2.transloadit.com/ws1?assembly=../x", "", ErrURLShape},
		{"another assembly", false, prod, "https://api2.transloadit.com/assemblies/" + other, id, ErrURLWrongAssembly},
		{"stream: another assembly", true, prod, "https://api2.transloadit.com/ws1?assembly=" + other, id, ErrURLWrongAssembly},
		{"upper-case id in the url", false, prod, "https://api2.transloadit.com/assemblies/2C54108C765A4EB1AE30DF68093D6686", "", ErrURLShape},
		{"invalid id argument", false, prod, "https://api2.transloadit.com/assemblies/" + id, "nope", ErrInvalidAssemblyID},
		{"http", false, prod, "http://api2.transloadit.com/assemblies/" + id, id, ErrURLNotAllowed},
		{"user info", false, prod, "https://u:p@api2.transloadit.com/assemblies/" + id, id, ErrURLNotAllowed},
		{"foreign host", true, prod, "https://evil.example/ws1?assembly=" + id, id, ErrURLNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := status
			if tt.stream {
				f = stream
			}
			u, got, err := f(tt.allow, tt.in, tt.id)
			if !errors.Is(err, tt.wantErr) || tt.wantErr == nil && err != nil {
				t.Fatalf("check(%q, %q) = %v, %q, %v; want %v", tt.in, tt.id, u, got, err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrURLNotAllowed) && !errors.Is(err, ErrInvalidAssemblyID) {
					t.Errorf("error %v wraps neither ErrURLNotAllowed nor ErrInvalidAssemblyID", err)
				}
				return
			}
			if u == nil || got != id {
				t.Errorf("check(%q, %q) = %v, %q; want the url and %q", tt.in, tt.id, u, got, id)
			}
		})
	}
}

// TestCheckURLsMatchStatusFields: the URLs a status carries, and the one
// StreamURL builds from websocket_url, pass the checks.
func TestCheckURLsMatchStatusFields(t *testing.T) {
	const id = "2c54108c765a4eb1ae30df68093d6686"
	allow := AllowList{HostSuffixes: []string{"transloadit.com"}}
	st := Status{AssemblyID: id, WebsocketURL: "https://api2-u848ep.transloadit.com/ws20285"}
	if _, _, err := allow.CheckStreamURL(st.StreamURL(), id); err != nil {
		t.Errorf("CheckStreamURL(%q) = %v", st.StreamURL(), err)
	}
	if _, _, err := allow.CheckStatusURL(StatusURL(DefaultAPIBase, id), id); err != nil {
		t.Errorf("CheckStatusURL(StatusURL()) = %v", err)
	}
}
