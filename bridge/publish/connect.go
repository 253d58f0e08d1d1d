package publish

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
)

// NATSConfig says how to reach NATS. Zero values mean the documented
// defaults; credentials are optional and at most one kind may be given
// (creds file, nkey seed file, user and password, or token).
type NATSConfig struct {
	// URL lists the servers, comma separated; required.
	URL string
	// Name identifies the connection in server monitoring; default "tlbridge".
	Name string
	// CredsFile is a JWT + nkey seed credentials file.
	CredsFile string
	// NKeySeedFile is a file holding an nkey user seed.
	NKeySeedFile string
	// User and Password authenticate by user name.
	User, Password string
	// Token authenticates by token.
	Token string
	// TLSCAFile is a PEM bundle of CAs to trust instead of the system's;
	// setting it turns TLS on.
	TLSCAFile string
	// TLSCertFile and TLSKeyFile are a PEM client certificate and its key,
	// both or neither; setting them turns TLS on.
	TLSCertFile, TLSKeyFile string
	// ReconnectWait is the pause between reconnect attempts (jittered by the
	// client); default 2s.
	ReconnectWait time.Duration
	// ReconnectBufSize bounds what is buffered for the server while
	// reconnecting; default 8 MiB.
	ReconnectBufSize int
	// NoReconnectBuffer makes a publish while reconnecting fail at once
	// instead of being buffered (ReconnectBufSize is then ignored). The
	// [JetStream] publisher needs it to keep several messages of a Key in
	// flight: a buffered message would be sent after the reconnect, ahead
	// of earlier ones lost with the connection.
	NoReconnectBuffer bool
	// DrainTimeout bounds Drain; default 30s.
	DrainTimeout time.Duration
}

// ConnectOptions returns the nats.go options for cfg: unlimited reconnects,
// a connection that comes up in the background when the server is not
// reachable yet, credentials, TLS, and handlers that log connection
// changes to logger (nil: no logs). It reads the credential and TLS files
// now, so a missing or bad file is reported at start-up. Errors match
// [ErrInvalidNATSConfig] and name the field.
func ConnectOptions(cfg NATSConfig, logger *zap.Logger) ([]nats.Option, error) {
	if logger == nil {
		logger = zap.NewNop()
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	name := cfg.Name
	if name == "" {
		name = "tlbridge"
	}
	opts := []nats.Option{
		nats.Name(name),
		// A pod that starts before NATS waits for it instead of crashing.
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		// Without it, the same auth error twice in a row (an expired JWT, a
		// credential being rotated) closes the connection for good.
		nats.IgnoreAuthErrorAbort(),
	}
	if cfg.ReconnectWait > 0 {
		opts = append(opts, nats.ReconnectWait(cfg.ReconnectWait))
	}
	switch {
	case cfg.NoReconnectBuffer:
		opts = append(opts, nats.ReconnectBufSize(-1))
	case cfg.ReconnectBufSize > 0:
		opts = append(opts, nats.ReconnectBufSize(cfg.ReconnectBufSize))
	}
	if cfg.DrainTimeout > 0 {
		opts = append(opts, nats.DrainTimeout(cfg.DrainTimeout))
	}
	auth, err := cfg.authOptions()
	if err != nil {
		return nil, err
	}
	opts = append(opts, auth...)
	if tlsCfg, err := cfg.tlsConfig(); err != nil {
		return nil, err
	} else if tlsCfg != nil {
		opts = append(opts, nats.Secure(tlsCfg))
	}
	return append(opts, connLogHandlers(logger)...), nil
}

// Connect connects to NATS with [ConnectOptions]. When no server is
// reachable yet it still returns the connection, which keeps trying in the
// background (nc.IsConnected reports false until then; see
// [AwaitConnected]). The caller must close or drain the connection.
func Connect(ctx context.Context, cfg NATSConfig, logger *zap.Logger) (*nats.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	opts, err := ConnectOptions(cfg, logger)
	if err != nil {
		return nil, err
	}
	nc, err := nats.Connect(cfg.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("publish: nats connect: %w", err)
	}
	if err := ctx.Err(); err != nil {
		nc.Close()
		return nil, err
	}
	return nc, nil
}

// AwaitConnected returns nil once nc is connected, ctx's error if ctx ends
// first, or an error matching [nats.ErrConnectionClosed] if nc is closed.
func AwaitConnected(ctx context.Context, nc *nats.Conn) error {
	return awaitConnected(ctx, nil, nc)
}

func (c NATSConfig) authOptions() ([]nats.Option, error) {
	switch {
	case c.CredsFile != "":
		if err := fileReadable(c.CredsFile); err != nil {
			return nil, fmt.Errorf("%w: CredsFile: %w", ErrInvalidNATSConfig, err)
		}
		return []nats.Option{nats.UserCredentials(c.CredsFile)}, nil
	case c.NKeySeedFile != "":
		opt, err := nats.NkeyOptionFromSeed(c.NKeySeedFile)
		if err != nil {
			return nil, fmt.Errorf("%w: NKeySeedFile: %w", ErrInvalidNATSConfig, err)
		}
		return []nats.Option{opt}, nil
	case c.User != "":
		return []nats.Option{nats.UserInfo(c.User, c.Password)}, nil
	case c.Token != "":
		return []nats.Option{nats.Token(c.Token)}, nil
	}
	return nil, nil
}

// tlsConfig returns nil when no TLS file is configured.
func (c NATSConfig) tlsConfig() (*tls.Config, error) {
	if c.TLSCAFile == "" && c.TLSCertFile == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.TLSCAFile != "" {
		pem, err := os.ReadFile(c.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("%w: TLSCAFile: %w", ErrInvalidNATSConfig, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: TLSCAFile: no PEM certificate in %s", ErrInvalidNATSConfig, c.TLSCAFile)
		}
		cfg.RootCAs = pool
	}
	if c.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.TLSCertFile, c.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("%w: TLSCertFile/TLSKeyFile: %w", ErrInvalidNATSConfig, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

func fileReadable(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	return f.Close()
}

// connLogHandlers log connection state changes. A failed reconnect attempt
// is logged at debug level: during an outage there is one every
// ReconnectWait, and the disconnect was already logged.
func connLogHandlers(log *zap.Logger) []nats.Option {
	return []nats.Option{
		nats.ConnectHandler(func(nc *nats.Conn) {
			log.Info("nats connected", zap.String("url", nc.ConnectedUrlRedacted()))
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			// A nil error is our own Drain or Close: nothing to warn about.
			if err != nil {
				log.Warn("nats disconnected", zap.Error(err))
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("nats reconnected", zap.String("url", nc.ConnectedUrlRedacted()))
		}),
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Debug("nats reconnect attempt failed", zap.Error(err))
		}),
		nats.ClosedHandler(func(nc *nats.Conn) {
			log.Info("nats connection closed", zap.NamedError("last_error", nc.LastError()))
		}),
		nats.LameDuckModeHandler(func(nc *nats.Conn) {
			log.Warn("nats server entering lame duck mode", zap.String("url", nc.ConnectedUrlRedacted()))
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			fields := []zap.Field{zap.Error(err)}
			if sub != nil {
				fields = append(fields, zap.String("subject", sub.Subject))
			}
			log.Error("nats async error", fields...)
		}),
	}
}

// EmbeddedConfig configures an in-process nats-server. Zero values mean the
// documented defaults.
type EmbeddedConfig struct {
	// Host to listen on; default 127.0.0.1.
	Host string
	// Port to listen on; 0 means 4222, -1 a random free port (read it back
	// from the server's ClientURL).
	Port int
	// StoreDir holds JetStream's data; required with JetStream. Reusing it
	// across starts keeps streams, messages and the de-duplication state.
	StoreDir string
	// JetStream turns JetStream on.
	JetStream bool
	// MaxPayload is the largest message the server accepts; default 1 MiB.
	MaxPayload int32
	// Logger receives the server's log lines; if nil, the server logs nothing.
	Logger *zap.Logger
	// StartTimeout bounds the wait for the server to accept connections;
	// default 10s.
	StartTimeout time.Duration
}

var (
	// ErrEmbeddedNotReady means the embedded server did not accept
	// connections within its start timeout.
	ErrEmbeddedNotReady = errors.New("publish: embedded nats-server not ready")
	// ErrEmbeddedListen means the embedded server's address cannot be
	// listened on, usually because another process holds it; the error
	// names the address and carries the cause.
	ErrEmbeddedListen = errors.New("publish: embedded nats-server cannot listen")
)

// StartEmbedded starts an in-process nats-server and returns it once it
// accepts connections. It does not install signal handlers. The caller
// must call Shutdown and then WaitForShutdown.
func StartEmbedded(cfg EmbeddedConfig) (*server.Server, error) {
	if cfg.JetStream && cfg.StoreDir == "" {
		return nil, fmt.Errorf("%w: EmbeddedConfig.StoreDir is required with JetStream", ErrInvalidNATSConfig)
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 10 * time.Second
	}
	if err := probeListen(cfg.Host, cfg.Port); err != nil {
		return nil, err
	}
	s, err := server.NewServer(&server.Options{
		ServerName: "tlbridge-embedded",
		Host:       cfg.Host,
		Port:       cfg.Port,
		JetStream:  cfg.JetStream,
		StoreDir:   cfg.StoreDir,
		MaxPayload: cfg.MaxPayload,
		NoLog:      cfg.Logger == nil,
		NoSigs:     true,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidNATSConfig, err)
	}
	if cfg.Logger != nil {
		s.SetLoggerV2(serverLog{cfg.Logger.Sugar()}, false, false, false)
	}
	s.Start()
	if !s.ReadyForConnections(cfg.StartTimeout) {
		s.Shutdown()
		s.WaitForShutdown()
		return nil, fmt.Errorf("%w after %v", ErrEmbeddedNotReady, cfg.StartTimeout)
	}
	return s, nil
}

// probeListen checks that the server's address is free, because the
// server itself only logs a failed listen and is then never ready. A
// random port (-1) needs no check.
func probeListen(host string, port int) error {
	if port < 0 {
		return nil
	}
	if port == 0 {
		port = server.DEFAULT_PORT
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%w on %s: %w", ErrEmbeddedListen, addr, err)
	}
	return ln.Close()
}

// serverLog adapts zap to nats-server's logger. Fatal lines are logged as
// errors: the process belongs to the bridge, not to the embedded server.
type serverLog struct{ l *zap.SugaredLogger }

func (s serverLog) Noticef(format string, v ...any) { s.l.Infof(format, v...) }
func (s serverLog) Warnf(format string, v ...any)   { s.l.Warnf(format, v...) }
func (s serverLog) Fatalf(format string, v ...any)  { s.l.Errorf(format, v...) }
func (s serverLog) Errorf(format string, v ...any)  { s.l.Errorf(format, v...) }
func (s serverLog) Debugf(format string, v ...any)  { s.l.Debugf(format, v...) }
func (s serverLog) Tracef(format string, v ...any)  { s.l.Debugf(format, v...) }
