// Command bench measures tlbridge black-box: it starts a load source that
// plays the Transloadit API (status endpoint and update streams), an
// embedded NATS server with JetStream on file storage, the bridge as a
// separate process, and a JetStream subscriber, then reports delivery
// latency from the upstream write to the subscriber, throughput, and the
// bridge process's CPU, system calls, memory and goroutines read from
// outside.
//
// In the same run it measures two references fed by the same load source:
// a raw relay that publishes every update-stream frame unparsed (the
// ceiling for any bridge on the machine), and a loop that polls each
// Assembly's status once a second, the way the official SDKs wait. Both
// run as separate processes too (this binary, re-executed), so every
// column is measured the same way.
//
//	go run ./bench --watches 200 --results 500 --rate 0
//
// The load source serves HTTPS, as Transloadit does, with a certificate
// made for the run that every target trusts through SSL_CERT_FILE; the
// targets negotiate HTTP/2 (or HTTP/1.1) by ALPN, and the report says
// which they used. --tls=false serves plain HTTP/1.1 instead.
//
// Every phase is bounded by --duration; traffic never leaves loopback.
package main
