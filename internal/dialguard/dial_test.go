package dialguard_test

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/dialguard"
)

// TestDNSRebinding: a name on the allow list that resolves to loopback is
// refused at dial time, before any connection, unless the allow list
// names loopback itself.
func TestDNSRebinding(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	resolver := fakeDNS(t, net.IPv4(127, 0, 0, 1))
	tests := []struct {
		name  string
		allow []string
		want  error
	}{
		{"only the name is allowed", []string{"transloadit.com"}, dialguard.ErrRefused},
		{"loopback IP allowed", []string{"transloadit.com", "127.0.0.1"}, nil},
		{"localhost allowed", []string{"transloadit.com", "localhost"}, nil},
		{"another loopback IP allowed", []string{"transloadit.com", "127.0.0.2"}, dialguard.ErrRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := dialguard.New(tt.allow).Dialer()
			d.Resolver = resolver
			tr := &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}
			defer tr.CloseIdleConnections()
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://api2-rebound.transloadit.com:"+port+"/assemblies/x", nil)
			before := hits.Load()
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if resp != nil {
				resp.Body.Close()
			}
			if !errors.Is(err, tt.want) || tt.want == nil && err != nil {
				t.Fatalf("GET = %v; want %v", err, tt.want)
			}
			wantHits := int32(1)
			if tt.want != nil {
				wantHits = 0
			}
			if n := hits.Load() - before; n != wantHits {
				t.Errorf("server saw %d requests; want %d", n, wantHits)
			}
		})
	}
}

// fakeDNS returns a resolver whose every A query for any name answers ip
// (AAAA queries get no answer), served over UDP on loopback.
func fakeDNS(t *testing.T, ip net.IP) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp := dnsAnswer(buf[:n], ip.To4()); resp != nil {
				_, _ = pc.WriteTo(resp, from)
			}
		}
	})
	t.Cleanup(func() { pc.Close(); wg.Wait() })
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", pc.LocalAddr().String())
		},
	}
}

// dnsAnswer builds the reply to a one-question query: ip for type A,
// nothing for other types.
func dnsAnswer(q []byte, ip net.IP) []byte {
	if len(q) < 12 {
		return nil
	}
	end := 12
	for end < len(q) && q[end] != 0 {
		end += int(q[end]) + 1
	}
	end += 5 // the root label, QTYPE and QCLASS
	if end > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[end-4:])
	resp := append([]byte(nil), q[:end]...)
	resp[2], resp[3] = 0x81, 0x80 // a response, recursion available, no error
	binary.BigEndian.PutUint16(resp[4:], 1)
	binary.BigEndian.PutUint16(resp[8:], 0)
	binary.BigEndian.PutUint16(resp[10:], 0)
	if qtype != 1 {
		binary.BigEndian.PutUint16(resp[6:], 0)
		return resp
	}
	binary.BigEndian.PutUint16(resp[6:], 1)
	resp = append(resp, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4)
	return append(resp, ip...)
}
