package dialguard

import (
	"net/http"
	"sync"
)

// transports holds one shared Transport per policy, so that every client
// with the same allow list shares one connection pool.
var transports struct {
	mu sync.Mutex                 // guards m
	m  map[string]*http.Transport // by Guard.key
}

// Transport returns the process's HTTP transport for g's policy: the
// settings of http.DefaultTransport, dialling through g, and no proxy (a
// proxy would be dialled instead of the host, and checked instead of it).
// Calls with Guards of the same policy return the same Transport.
func (g *Guard) Transport() *http.Transport {
	k := g.key()
	transports.mu.Lock()
	defer transports.mu.Unlock()
	if t, ok := transports.m[k]; ok {
		return t
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = g.Dialer().DialContext
	t.DialTLSContext = nil
	if transports.m == nil {
		transports.m = make(map[string]*http.Transport)
	}
	transports.m[k] = t
	return t
}

// CloseIdleConnections closes the idle connections of every Transport
// this package returned, as tests do before checking for leaked
// goroutines.
func CloseIdleConnections() {
	transports.mu.Lock()
	defer transports.mu.Unlock()
	for _, t := range transports.m {
		t.CloseIdleConnections()
	}
}
