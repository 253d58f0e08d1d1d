package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/tlbridge/tlbridge/bridge"
	"github.com/tlbridge/tlbridge/bridge/publish"
	"github.com/tlbridge/tlbridge/internal/buildinfo"
	"github.com/tlbridge/tlbridge/internal/retry"
	"github.com/tlbridge/tlbridge/poller"
	"github.com/tlbridge/tlbridge/schemas"
)

// appOptions select which parts of the service an [app] runs; the zero
// value is `tlbridge serve`.
type appOptions struct {
	// HeaderTimeout, if set, replaces the HTTP server's bound on reading
	// a request's headers (tests).
	HeaderTimeout time.Duration
	// NoIntake skips the NATS watch intake and the HTTP server (watch).
	NoIntake bool
	// NATSOptional runs without NATS, on an in-memory publisher, when
	// TLBRIDGE_NATS_URL is empty instead of starting an embedded server
	// (watch).
	NATSOptional bool
	// EmbeddedPort, if not 0, overrides EMBEDDED_NATS_ADDR's port: -1 a
	// random free port (demo).
	EmbeddedPort int
	// Local keeps watches in this process even in JetStream mode, instead
	// of the queue shared by replicas (watch: its own watch prints).
	Local bool
	// OnEvent and OnWatchEnd are handed to the Manager.
	OnEvent    func(ev schemas.Event, data []byte)
	OnWatchEnd func(id string, outcome bridge.Outcome)
}

// app is the wired service: NATS (external or embedded), a publisher, the
// poller, the Manager, the intake and the HTTP server. serve, watch and
// demo all run one. Start brings the parts up in order and Shutdown takes
// them down in reverse; a failed start undoes what it did.
type app struct {
	cfg  Config
	opts appOptions
	log  *zap.Logger

	embedded *server.Server
	nc       *nats.Conn
	pub      publish.Publisher
	reg      *prometheus.Registry
	mgr      *bridge.Manager
	intake   *bridge.Intake
	httpSrv  *http.Server
	httpLn   net.Listener
	httpErr  chan error // receives the HTTP server's result, once

	bgCancel    context.CancelFunc     // stops background loops (stream setup)
	bg          sync.WaitGroup         // background loops and the HTTP server
	streamReady atomic.Bool            // the JetStream stream is ensured (or not needed)
	streamErr   atomic.Pointer[string] // why the stream does not fit, while it does not
	js          jetstream.JetStream    // nil unless publishing through JetStream
	stopping    atomic.Bool            // shutdown began: no longer ready
	natsClosed  chan nats.Status       // receives when the connection closes; nil without NATS
	shutOnce    sync.Once
	shutErr     error
}

// newApp returns an app for cfg; nothing starts before Start or Run.
func newApp(cfg Config, log *zap.Logger, opts appOptions) *app {
	return &app{cfg: cfg, opts: opts, log: log, httpErr: make(chan error, 1)}
}

// Run starts the app, serves until ctx ends or the HTTP server fails, and
// shuts down gracefully. It returns the first error of either phase.
func (a *app) Run(ctx context.Context) error {
	if err := a.Start(ctx); err != nil {
		return err
	}
	return errors.Join(a.serve(ctx), a.Shutdown())
}

// serve waits until ctx ends (nil) or the app can no longer work: the
// HTTP server failed, or the NATS connection closed for good.
func (a *app) serve(ctx context.Context) error {
	var runErr error
	select {
	case <-ctx.Done():
		a.log.Info("shutting down", zap.String("reason", context.Cause(ctx).Error()))
	case runErr = <-a.httpErr:
		a.log.Error("http server failed; shutting down", zap.Error(runErr))
	case <-a.natsClosed:
		runErr = errNATSClosed
		a.log.Error("nats connection closed for good; exiting so the process is restarted")
	}
	return runErr
}

// Start brings the service up. On error everything started is stopped
// again.
func (a *app) Start(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			_ = a.Shutdown()
		}
	}()
	bgCtx, cancel := context.WithCancel(context.Background())
	a.bgCancel = cancel
	a.reg = newRegistry()
	metrics := bridge.NewMetrics(a.reg)
	if err := a.startNATS(ctx); err != nil {
		return err
	}
	if err := a.startPublisher(bgCtx, metrics); err != nil {
		return err
	}
	if err := a.startManager(metrics); err != nil {
		return err
	}
	if a.js != nil {
		a.bg.Go(func() { a.setUpStream(bgCtx, a.js) })
	}
	if a.opts.NoIntake {
		return nil
	}
	if a.intake, err = bridge.ServeNATSIntake(bgCtx, a.nc, a.cfg.SubjectPrefix, a.mgr, a.log.Named("intake")); err != nil {
		return fmt.Errorf("start: watch intake: %w", err)
	}
	return a.startHTTP()
}

func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "tlbridge_build_info",
		Help:        "Always 1; the labels name the running build.",
		ConstLabels: prometheus.Labels{"version": buildinfo.Version, "goversion": runtime.Version()},
	})
	info.Set(1)
	reg.MustRegister(info)
	return reg
}

// startNATS connects to TLBRIDGE_NATS_URL, or starts the embedded server
// and connects to it when the URL is empty.
func (a *app) startNATS(ctx context.Context) error {
	url := a.cfg.NatsURL
	if url == "" {
		if a.opts.NATSOptional {
			return nil
		}
		if err := a.startEmbedded(); err != nil {
			return err
		}
		url = a.embedded.ClientURL()
	}
	nc, err := publish.Connect(ctx, a.natsConfig(url), a.log.Named("nats"))
	if err != nil {
		if errors.Is(err, publish.ErrInvalidNATSConfig) {
			return fmt.Errorf("%w: %w", errConfig, err)
		}
		return fmt.Errorf("start: %w", err)
	}
	a.nc = nc
	a.natsClosed = nc.StatusChanged(nats.CLOSED)
	return nil
}

func (a *app) natsConfig(url string) publish.NATSConfig {
	c := a.cfg.natsConfig(url)
	// Drain is waited for within the shutdown budget; this only makes the
	// client give up no later than we do.
	c.DrainTimeout = a.drainBudget()
	// The JetStream publisher keeps several events of an Assembly in
	// flight only on a connection that buffers nothing while reconnecting;
	// it waits for the reconnect itself.
	c.NoReconnectBuffer = a.cfg.Jetstream
	return c
}

// natsConfig is how every command connects to NATS at url: the same
// credentials and TLS files for serve, watch and tail.
func (c Config) natsConfig(url string) publish.NATSConfig {
	s := c.natsSettings()
	s.URL = url
	return s
}

func (a *app) startEmbedded() error {
	dir := filepath.Join(a.cfg.DataDir, "nats")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("%w: %s_DATA_DIR: %w", errConfig, envPrefix, err)
	}
	host, port, err := a.cfg.embeddedHostPort()
	if err != nil {
		return fmt.Errorf("%w: %s_EMBEDDED_NATS_ADDR: %w", errConfig, envPrefix, err)
	}
	if a.opts.EmbeddedPort != 0 {
		port = a.opts.EmbeddedPort
	}
	s, err := publish.StartEmbedded(publish.EmbeddedConfig{
		Host:      host,
		Port:      port,
		StoreDir:  dir,
		JetStream: a.cfg.Jetstream,
		// The embedded server's notices would drown the bridge's own log.
		Logger: a.log.Named("nats-server").WithOptions(zap.IncreaseLevel(zapcore.WarnLevel)),
	})
	if errors.Is(err, publish.ErrEmbeddedListen) {
		return fmt.Errorf("start: %w; set %s_EMBEDDED_NATS_ADDR to a free address, or %s_NATS_URL to a running server",
			err, envPrefix, envPrefix)
	}
	if err != nil {
		return fmt.Errorf("start: embedded nats-server: %w", err)
	}
	a.embedded = s
	a.log.Info("embedded nats-server started", zap.String("url", s.ClientURL()), zap.String("store_dir", dir))
	return nil
}

// startPublisher picks the publisher: JetStream (and its stream), core
// NATS, or memory when running without NATS.
func (a *app) startPublisher(bgCtx context.Context, metrics *bridge.Metrics) error {
	log := a.log.Named("publish")
	switch {
	case a.nc == nil:
		a.pub = publish.NewMemory(publish.MemoryConfig{Observer: metrics})
		a.streamReady.Store(true)
		return nil
	case !a.cfg.Jetstream:
		p, err := publish.NewCore(a.nc, publish.CoreConfig{Logger: log, Observer: metrics})
		if err != nil {
			return fmt.Errorf("start: %w", err)
		}
		a.pub = p
		a.streamReady.Store(true)
		a.log.Info("core NATS mode: watches live in this process only, so run a single replica; " +
			"set " + envPrefix + "_JETSTREAM=true for durable watches shared by replicas")
		return nil
	}
	p, err := publish.NewJetStream(a.nc, publish.JetStreamConfig{Logger: log, Observer: metrics})
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	a.pub = p
	if a.js, err = jetstream.New(a.nc); err != nil {
		return fmt.Errorf("start: jetstream: %w", err)
	}
	return nil
}

// setUpStream ensures (or, when the stream is managed elsewhere, checks)
// the stream until it succeeds or ctx ends. It runs in the background:
// a pod that starts before NATS stays up, not ready, and publishes hold
// their events until the stream is there.
func (a *app) setUpStream(ctx context.Context, js jetstream.JetStream) {
	cfg := a.cfg.streamConfig()
	bo, failures := retry.Backoff{Min: 250 * time.Millisecond, Max: 10 * time.Second}, 0
	for {
		attemptCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := a.setUpStreamOnce(attemptCtx, js)
		cancel()
		switch {
		case err == nil:
			a.streamErr.Store(nil)
			a.streamReady.Store(true)
			a.log.Info("stream ready", zap.String("stream", cfg.Name), zap.Bool("managed", a.cfg.ManageStream),
				zap.Bool("durable_watches", !a.opts.Local), zap.Int("failed_attempts", failures))
			return
		case ctx.Err() != nil:
			return
		case errors.Is(err, publish.ErrInvalidNATSConfig):
			a.log.Error("stream configuration refused; not retrying", zap.Error(err))
			return
		case errors.Is(err, publish.ErrStreamMismatch):
			// Readiness says why until someone fixes the stream.
			msg := err.Error()
			a.streamErr.Store(&msg)
		}
		if failures++; failures == 1 {
			a.log.Warn("stream not ready; retrying", zap.String("stream", cfg.Name), zap.Error(err))
		}
		if !retry.Sleep(ctx, retry.SystemClock(), bo.Delay(failures-1)) {
			return
		}
	}
}

// setUpStreamOnce ensures (or checks) the event stream, then the
// resources of durable watches, and starts them.
func (a *app) setUpStreamOnce(ctx context.Context, js jetstream.JetStream) error {
	ensure, open := publish.EnsureStream, publish.EnsureWatchStore
	if !a.cfg.ManageStream {
		ensure, open = publish.CheckStream, publish.CheckWatchStore
	}
	if err := ensure(ctx, js, a.cfg.streamConfig()); err != nil || a.opts.Local {
		return err
	}
	store, err := open(ctx, js, a.cfg.watchStoreConfig())
	if err != nil {
		return err
	}
	return a.mgr.StartDurable(bridge.DurableConfig{JetStream: js, Store: store})
}

func (a *app) startManager(metrics *bridge.Metrics) error {
	p, err := poller.New(poller.Config{
		APIBase:   a.cfg.APIBase,
		AllowList: a.cfg.AllowList(),
		MaxRPS:    a.cfg.MaxStatusRPS,
		// Room for every watch, and for the ones winding down.
		MaxTracked:      a.cfg.MaxWatches + a.cfg.MaxWatches/4 + 64,
		UserAgent:       buildinfo.UserAgent(),
		Logger:          a.log.Named("poller"),
		OnRequest:       func(outcome string) { metrics.UpstreamRequest("status", outcome) },
		OnRateLimitWait: metrics.RateLimitWait,
		OnInFlightWait:  metrics.StatusFetchWaiting,
	})
	if err != nil {
		return fmt.Errorf("%w: %w", errConfig, err)
	}
	var payloadLimit func() int
	if a.nc != nil {
		// Asked for each new watch: zero until the first connect (the
		// Manager then uses its default, the server's default too), the
		// server's max_payload after.
		payloadLimit = func() int { return int(a.nc.MaxPayload()) }
	}
	a.mgr, err = bridge.NewManager(bridge.ManagerConfig{
		Poller:        p,
		Publisher:     a.pub,
		AllowList:     a.cfg.AllowList(),
		Prefix:        a.cfg.SubjectPrefix,
		Instance:      a.cfg.Instance,
		PollInterval:  a.cfg.PollInterval,
		WatchTTL:      a.cfg.WatchTTL,
		MaxWatches:    a.cfg.MaxWatches,
		PayloadLimit:  payloadLimit,
		DisableStream: a.cfg.DisableStream,
		MaxEventSize:  a.cfg.MaxEventBytes,
		GiveUpAfter:   a.cfg.GiveUpAfter,
		NotFoundGrace: a.cfg.NotFoundGrace,
		Metrics:       metrics,
		Logger:        a.log.Named("manager"),
		OnEvent:       a.opts.OnEvent,
		OnWatchEnd:    a.opts.OnWatchEnd,
		DurableLater:  a.js != nil && !a.opts.Local,
	})
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	return nil
}

func (a *app) startHTTP() error {
	ln, err := net.Listen("tcp", a.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("start: %s_HTTP_ADDR: %w", envPrefix, err)
	}
	a.httpLn = ln
	a.logAPIExposure()
	errLog, _ := zap.NewStdLogAt(a.log.Named("http"), zapcore.WarnLevel)
	a.httpSrv = &http.Server{
		Handler: bridge.NewHTTPHandler(a.mgr, bridge.HTTPConfig{
			Token:          string(a.cfg.HTTPToken),
			Insecure:       a.cfg.HTTPInsecure,
			Live:           a.live,
			Ready:          a.ready,
			Metrics:        promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{}),
			NotifySecret:   string(a.cfg.AuthSecret),
			NotifyMaxBytes: a.cfg.NotifyMaxBytes,
			NotifyMaxAge:   a.cfg.NotifyMaxAge,
		}),
		ReadHeaderTimeout: cmp.Or(a.opts.HeaderTimeout, headerTimeout),
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          errLog,
	}
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		if err := a.httpSrv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			a.httpErr <- err
		}
	}()
	a.log.Info("http listening", zap.String("addr", ln.Addr().String()))
	return nil
}

// httpAddr is the HTTP server's address, e.g. "127.0.0.1:41234".
func (a *app) httpAddr() string { return a.httpLn.Addr().String() }

// ready is /readyz: NATS connected and the stream ensured, and not
// shutting down.
func (a *app) ready() error {
	// Read once: the stream setup clears it concurrently.
	misfit := a.streamErr.Load()
	switch {
	case a.stopping.Load():
		return errors.New("shutting down")
	case a.nc != nil && !a.nc.IsConnected():
		return fmt.Errorf("nats %s", a.nc.Status())
	case misfit != nil:
		return errors.New(*misfit)
	case !a.streamReady.Load():
		return fmt.Errorf("stream %s not ensured yet", a.cfg.StreamName)
	}
	return nil
}

// headerTimeout bounds the reading of a request's headers: a client that
// trickles them (slowloris) is cut off instead of holding a connection.
const headerTimeout = 10 * time.Second

// errNATSClosed means the NATS connection closed for good (a protocol
// error the client does not reconnect from): nothing can be published
// any more, so the process must restart.
var errNATSClosed = errors.New("nats connection closed for good")

// live fails once the NATS connection is closed while the app is not
// stopping, so an orchestrator restarts a process that cannot recover.
func (a *app) live() error {
	if a.nc != nil && a.nc.IsClosed() && !a.stopping.Load() {
		return errNATSClosed
	}
	return nil
}

// drainBudget is the part of SHUTDOWN_TIMEOUT kept for the NATS drain,
// which comes last.
func (a *app) drainBudget() time.Duration { return a.cfg.ShutdownTimeout / 4 }

// Shutdown stops the app in reverse order of start: intake, HTTP server,
// Manager (in-flight publishes finish), publisher, NATS drain, embedded
// server. The steps before the drain share SHUTDOWN_TIMEOUT minus the
// drain's own budget. It is idempotent and safe after a partial Start.
func (a *app) Shutdown() error {
	a.shutOnce.Do(func() { a.shutErr = a.shutdown() })
	return a.shutErr
}

func (a *app) shutdown() error {
	a.stopping.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout-a.drainBudget())
	defer cancel()
	var errs []error
	fail := func(step string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("shutdown: %s: %w", step, err))
		}
	}
	if a.intake != nil {
		// Drain answers the watch requests already received.
		fail("intake", a.intake.Drain(ctx))
	}
	if a.httpSrv != nil {
		fail("http", a.httpSrv.Shutdown(ctx))
	}
	if a.bgCancel != nil {
		a.bgCancel()
	}
	a.bg.Wait()
	if a.mgr != nil {
		fail("manager", a.mgr.Shutdown(ctx))
	}
	if a.pub != nil {
		fail("publisher", a.pub.Close(ctx))
	}
	if a.nc != nil {
		fail("nats drain", a.drainNATS())
	}
	if a.embedded != nil {
		a.embedded.Shutdown()
		a.embedded.WaitForShutdown()
	}
	err := errors.Join(errs...)
	if err != nil {
		a.log.Warn("shutdown incomplete", zap.Error(err))
	} else {
		a.log.Info("shutdown complete")
	}
	_ = a.log.Sync()
	return err
}

// drainNATS drains the connection (flushing what is buffered) and waits,
// within the drain budget, for it to close; then it closes it regardless.
func (a *app) drainNATS() error {
	if !a.nc.IsConnected() {
		// Nothing can be flushed; whatever had to reach NATS was already
		// reported by the publisher's Close.
		a.log.Warn("nats not connected at shutdown; closing without drain", zap.Stringer("status", a.nc.Status()))
		a.nc.Close()
		return nil
	}
	closed := a.nc.StatusChanged(nats.CLOSED)
	defer a.nc.RemoveStatusListener(closed)
	if err := a.nc.Drain(); err != nil {
		a.nc.Close()
		if errors.Is(err, nats.ErrConnectionClosed) {
			return nil
		}
		return err
	}
	t := time.NewTimer(a.drainBudget())
	defer t.Stop()
	for !a.nc.IsClosed() {
		select {
		case <-closed:
		case <-t.C:
			a.nc.Close()
			return fmt.Errorf("not drained within %v", a.drainBudget())
		}
	}
	return nil
}

// logAPIExposure says at start what the /v1/watches API admits: an API
// open to anyone is worth a warning, one that is off worth a hint.
func (a *app) logAPIExposure() {
	switch {
	case a.cfg.HTTPToken != "":
	case a.cfg.HTTPInsecure:
		a.log.Warn("the /v1/watches API is open to anyone who reaches "+a.cfg.HTTPAddr+
			": it can start and stop watches; set "+envPrefix+"_HTTP_TOKEN", zap.String("http_addr", a.cfg.HTTPAddr))
	default:
		a.log.Info("the /v1/watches API is off; set " + envPrefix + "_HTTP_TOKEN to use it")
	}
}
