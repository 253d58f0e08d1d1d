package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"time"
)

// certValidity bounds the load source's certificate: a run's phases
// take minutes, and the key never leaves the run.
const certValidity = 24 * time.Hour

// upstreamCert is the load source's TLS certificate: self-signed for
// 127.0.0.1, made for one run. The targets trust it through SSL_CERT_FILE,
// which Go reads instead of the system's roots, so the bridge runs with
// its production settings.
type upstreamCert struct {
	cert tls.Certificate
	pem  []byte // the certificate alone, for clients to trust
}

func newUpstreamCert() (*upstreamCert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "tlbridge bench load source"},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(certValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	return &upstreamCert{
		cert: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		pem:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
	}, nil
}

// pool returns a pool trusting only c.
func (c *upstreamCert) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AppendCertsFromPEM(c.pem)
	return p
}

// writePEM writes the certificate to path, for SSL_CERT_FILE.
func (c *upstreamCert) writePEM(path string) error {
	return os.WriteFile(path, c.pem, 0o600)
}
