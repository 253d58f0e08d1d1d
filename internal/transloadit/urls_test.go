package transloadit

import (
	"errors"
	"testing"
)

func TestValidAssemblyID(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"7828446e5acd4aa996dce3455ec914e9", true},
		{"00000000000000000000000000000000", true},
		{"7828446E5ACD4AA996DCE3455EC914E9", false},
		{"7828446e-5acd-4aa9-96dc-e3455ec914e9", false},
		{"7828446e5acd4aa996dce3455ec914e", false},
		{"7828446e5acd4aa996dce3455ec914e90", false},
		{"7828446e5acd4aa996dce3455ec914eg", false},
		{"../../../../etc/passwd0000000000", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := ValidAssemblyID(tt.in); got != tt.want {
			t.Errorf("ValidAssemblyID(%q) = %v; want %v", tt.in, got, tt.want)
		}
		if err := CheckAssemblyID(tt.in); (err == nil) != tt.want || err != nil && !errors.Is(err, ErrInvalidAssemblyID) {
			t.Errorf("CheckAssemblyID(%q) = %v", tt.in, err)
		}
	}
}

func TestStatusURL(t *testing.T) {
	for _, base := range []string{DefaultAPIBase, DefaultAPIBase + "/"} {
		if got, want := StatusURL(base, "abc"), "https://api2.transloadit.com/assemblies/abc"; got != want {
			t.Errorf("StatusURL(%q) = %q; want %q", base, got, want)
		}
	}
}

func TestBaseURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://api2-jenks.transloadit.com/assemblies/7828446e5acd4aa996dce3455ec914e9", "https://api2.transloadit.com/assemblies/7828446e5acd4aa996dce3455ec914e9"},
		{"https://api2-u848ep.transloadit.com:8443/assemblies/x?a=b", "https://api2.transloadit.com:8443/assemblies/x?a=b"},
		{"https://api2.transloadit.com/assemblies/x", "https://api2.transloadit.com/assemblies/x"},
		{"http://127.0.0.1:1234/assemblies/x", "http://127.0.0.1:1234/assemblies/x"},
		{"https://example.com/assemblies/x", "https://example.com/assemblies/x"},
	}
	for _, tt := range tests {
		got, err := BaseURL(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("BaseURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := BaseURL("http://[::1"); err == nil {
		t.Error("BaseURL of an unparsable URL gave no error")
	}
}

func TestAssemblyIDFromURL(t *testing.T) {
	const id = "2c54108c765a4eb1ae30df68093d6686"
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"https://api2-u848ep.transloadit.com/assemblies/" + id, id, false},
		{"https://api2.transloadit.com/assemblies/" + id + "/", id, false},
		{"https://api2-u848ep.transloadit.com/ws20285?assembly=" + id, id, false},
		{"https://api2.transloadit.com/assemblies/" + id + "?signature=x", id, false},
		{"https://api2.transloadit.com/assemblies/", "", true},
		{"https://api2.transloadit.com/assemblies/NOTANID", "", true},
		{"https://api2.transloadit.com/ws1?assembly=../x", "", true},
		{"https://api2.transloadit.com/other/" + id, "", true},
	}
	for _, tt := range tests {
		got, err := AssemblyIDFromURL(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("AssemblyIDFromURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestStreamURL(t *testing.T) {
	const id = "2c54108c765a4eb1ae30df68093d6686"
	tests := []struct {
		name string
		in   Status
		want string
	}{
		{"update_stream_url wins", Status{AssemblyID: id, UpdateStreamURL: "https://a/ws1?assembly=" + id, WebsocketURL: "https://b/ws2"}, "https://a/ws1?assembly=" + id},
		{"built from websocket_url", Status{AssemblyID: id, WebsocketURL: "https://api2-u848ep.transloadit.com/ws20285"}, "https://api2-u848ep.transloadit.com/ws20285?assembly=" + id},
		{"websocket_url with a query", Status{AssemblyID: id, WebsocketURL: "https://a/ws?x=1"}, "https://a/ws?x=1&assembly=" + id},
		{"no websocket_url", Status{AssemblyID: id}, ""},
		{"no id", Status{WebsocketURL: "https://a/ws"}, ""},
	}
	for _, tt := range tests {
		if got := tt.in.StreamURL(); got != tt.want {
			t.Errorf("%s: StreamURL() = %q; want %q", tt.name, got, tt.want)
		}
	}
}

func TestAllowList(t *testing.T) {
	prod := AllowList{HostSuffixes: []string{"transloadit.com"}}
	sim := AllowList{HostSuffixes: []string{"127.0.0.1"}, AllowHTTP: true}
	tests := []struct {
		name string
		al   AllowList
		in   string
		ok   bool
	}{
		{"origin", prod, "https://api2.transloadit.com/assemblies/x", true},
		{"machine host", prod, "https://api2-jenks.transloadit.com/assemblies/x", true},
		{"apex", prod, "https://transloadit.com/", true},
		{"case and trailing dot", prod, "HTTPS://API2.TRANSLOADIT.COM./assemblies/x", true},
		{"port", prod, "https://api2.transloadit.com:443/x", true},
		{"plain http refused", prod, "http://api2.transloadit.com/x", false},
		{"suffix trick", prod, "https://api2.transloadit.com.evil.example/x", false},
		{"no dot boundary", prod, "https://eviltransloadit.com/x", false},
		{"user info", prod, "https://api2.transloadit.com@evil.example/x", false},
		{"user info on an allowed host", prod, "https://user:pw@api2.transloadit.com/x", false},
		{"fragment trick", prod, "https://evil.example#@api2.transloadit.com/x", false},
		{"query trick", prod, "https://evil.example?.transloadit.com", false},
		{"backslash trick", prod, `https://evil.example\@api2.transloadit.com/x`, false},
		{"no host", prod, "https:///api2.transloadit.com/x", false},
		{"relative", prod, "//api2.transloadit.com/x", false},
		{"file scheme", prod, "file:///etc/passwd", false},
		{"gopher", prod, "gopher://api2.transloadit.com/", false},
		{"opaque", prod, "https:api2.transloadit.com", false},
		{"loopback not listed", prod, "https://127.0.0.1/x", false},
		{"metadata ip", prod, "https://169.254.169.254/latest/meta-data", false},
		{"encoded host", prod, "https://api2.transloadit.com%2eevil.example/x", false},
		{"unparsable", prod, "https://[::1/x", false},
		{"empty list", AllowList{}, "https://api2.transloadit.com/x", false},
		{"sim loopback", sim, "http://127.0.0.1:4000/assemblies/x", true},
		{"sim ip exact only", sim, "http://1.127.0.0.1/x", false},
		{"ip suffix does not match other ips", AllowList{HostSuffixes: []string{"0.0.1"}, AllowHTTP: true}, "http://127.0.0.1/x", false},
		{"ipv6 exact", AllowList{HostSuffixes: []string{"::1"}, AllowHTTP: true}, "http://[::1]:80/x", true},
		{"suffix with dots and spaces", AllowList{HostSuffixes: []string{" .transloadit.com. "}}, "https://api2.transloadit.com/x", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := tt.al.Check(tt.in)
			if tt.ok && (err != nil || u == nil) {
				t.Errorf("Check(%q) = %v; want allowed", tt.in, err)
			}
			if !tt.ok && (err == nil || !errors.Is(err, ErrURLNotAllowed)) {
				t.Errorf("Check(%q) = %v, %v; want ErrURLNotAllowed", tt.in, u, err)
			}
		})
	}
}
