package main

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"time"
)

// serve starts the server on l.ln: plain HTTP/1.1, or with cfg.TLS both
// HTTP/2 and HTTP/1.1, chosen by ALPN as Transloadit's API does. Every
// request is counted by protocol version, to report what the target
// negotiated. net/http's server allows 250 concurrent streams per
// HTTP/2 connection, so a client opens one connection per 250 streams.
func (l *loadSource) serve(h http.Handler) {
	l.srv = &http.Server{Handler: l.countProto(h), ReadHeaderTimeout: 10 * time.Second}
	serve := func() error { return l.srv.Serve(l.ln) }
	if l.cfg.TLS != nil {
		l.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{l.cfg.TLS.cert}, MinVersion: tls.VersionTLS12}
		l.srv.Protocols = new(http.Protocols)
		l.srv.Protocols.SetHTTP1(true)
		l.srv.Protocols.SetHTTP2(true)
		serve = func() error { return l.srv.ServeTLS(l.ln, "", "") }
	}
	go func() {
		defer close(l.serveDone)
		_ = serve()
	}()
}

func (l *loadSource) countProto(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 2 {
			l.http2Reqs.Add(1)
		} else {
			l.http1Reqs.Add(1)
		}
		h.ServeHTTP(w, r)
	})
}

// protocols returns how many requests came over HTTP/1.x and over HTTP/2.
func (l *loadSource) protocols() (http1, http2 int64) {
	return l.http1Reqs.Load(), l.http2Reqs.Load()
}

// upstreamProtocol names what a target used: "HTTP/2 over TLS" when every
// request came over HTTP/2, both versions with their counts when they
// were mixed.
func upstreamProtocol(tls bool, http1, http2 int64) string {
	var s string
	switch {
	case http1 == 0 && http2 == 0:
		return "none"
	case http1 == 0:
		s = "HTTP/2"
	case http2 == 0:
		s = "HTTP/1.1"
	default:
		s = fmt.Sprintf("HTTP/2 (%d requests) and HTTP/1.1 (%d)", http2, http1)
	}
	if tls {
		return s + " over TLS"
	}
	return s
}
