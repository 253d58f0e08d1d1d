package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kelseyhightower/envconfig"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap/zapcore"

	"github.com/tlbridge/tlbridge/bridge"
	"github.com/tlbridge/tlbridge/bridge/publish"
	"github.com/tlbridge/tlbridge/internal/redact"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/poller"
	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/stream"
)

// envPrefix is prepended to every configuration variable.
const envPrefix = "TLBRIDGE"

// Bounds of MAX_EVENT_BYTES: below 64 KiB ordinary results would switch
// streams to polling; above 64 MiB a few streams could exhaust memory.
const (
	minEventBytes = 64 << 10
	maxEventBytes = 64 << 20
)

// errConfig marks a configuration error: the process exits with code 2.
var errConfig = errors.New("config")

// Config is the whole configuration of tlbridge, read from TLBRIDGE_*
// environment variables by [loadConfig].
//
// Field names, not envconfig tags, name the variables (split_words turns
// NatsURL into TLBRIDGE_NATS_URL). An explicit envconfig tag would make
// envconfig fall back to the un-prefixed name, and Kubernetes injects
// NATS_PORT=tcp://... and similar for every Service in the namespace; with
// no tag there is no fallback to capture. Defaults live in [defaultConfig].
type Config struct {
	NatsURL       string `split_words:"true" desc:"NATS server URL(s), comma-separated; empty starts an embedded server with JetStream in DATA_DIR"`
	NatsCreds     string `split_words:"true" desc:"path of a NATS .creds file (JWT + nkey seed)"`
	NatsNkeySeed  string `split_words:"true" desc:"path of a NATS nkey seed file"`
	NatsUser      string `split_words:"true" desc:"NATS user name (with NATS_PASSWORD)"`
	NatsPassword  Secret `split_words:"true" desc:"NATS password"`
	NatsToken     Secret `split_words:"true" desc:"NATS authentication token"`
	NatsTLSCa     string `split_words:"true" desc:"path of the PEM CA bundle that signs the NATS server certificate"`
	NatsTLSCert   string `split_words:"true" desc:"path of the PEM client certificate for mutual TLS (with NATS_TLS_KEY)"`
	NatsTLSKey    string `split_words:"true" desc:"path of the PEM client key for mutual TLS (with NATS_TLS_CERT)"`
	SubjectPrefix string `split_words:"true" desc:"first token of every subject: <prefix>.v1.assemblies.<id>.<event>"`
	Jetstream     bool   `split_words:"true" desc:"publish through JetStream (acked, deduplicated); false publishes on core NATS"`
	StreamName    string `split_words:"true" desc:"JetStream stream that holds the events"`
	ManageStream  bool   `split_words:"true" desc:"create or update the stream at start; false only checks that it exists"`
	// JetStream settings of the event stream, the watch queue and the KV
	// buckets of durable watches.
	DuplicateWindow time.Duration `split_words:"true" desc:"the event stream's de-duplication window, at least 1s"`
	StreamReplicas  int           `split_words:"true" desc:"replicas of the streams and buckets: 1, or 3 on a clustered NATS"`
	StreamMaxAge    time.Duration `split_words:"true" desc:"how long the event stream keeps events (and checkpoints are kept)"`
	StreamStorage   string        `split_words:"true" desc:"file or memory storage of the streams and buckets"`
	StreamMaxBytes  int64         `split_words:"true" desc:"size bound of each stream and bucket in bytes; 0 means none"`
	FinishedTTL     time.Duration `split_words:"true" desc:"how long a finished Assembly is remembered: watching it again publishes nothing"`
	APIBase         string        `split_words:"true" desc:"Transloadit API base URL, for status fetches by Assembly ID"`
	AllowedHosts    []string      `split_words:"true" desc:"comma-separated host suffixes the bridge may fetch from"`
	AllowHTTP       bool          `split_words:"true" desc:"allow plain http:// URLs (testing only)"`
	PollInterval    time.Duration `split_words:"true" desc:"status polling interval while the update stream is down"`
	MaxStatusRPS    float64       `split_words:"true" desc:"status requests per second per Assembly, in (0, 2.5]"`
	MaxWatches      int           `split_words:"true" desc:"Assemblies watched at once"`
	WatchTTL        time.Duration `split_words:"true" desc:"give up on an Assembly after this long (emits watch.expired)"`
	HTTPAddr        string        `split_words:"true" desc:"listen address of /healthz, /readyz, /metrics and the HTTP API"`
	HTTPToken       Secret        `split_words:"true" desc:"bearer token the /v1/watches API requires; empty turns that API off (see HTTP_INSECURE)"`
	AuthKey         string        `split_words:"true" desc:"Transloadit auth key"`
	AuthSecret      Secret        `split_words:"true" desc:"Transloadit auth secret; verifies notifications to /v1/notify"`
	Instance        string        `split_words:"true" desc:"instance name in event sources (tlbridge/<instance>); empty uses the host name"`
	DataDir         string        `split_words:"true" desc:"directory of the embedded NATS server's storage"`
	LogLevel        string        `split_words:"true" desc:"debug, info, warn or error"`
	LogFormat       string        `split_words:"true" desc:"auto (console on a terminal, json otherwise), json or console"`
	// ShutdownTimeout bounds the whole graceful shutdown; keep it below the
	// orchestrator's grace period (30 s on Kubernetes by default).
	ShutdownTimeout  time.Duration `split_words:"true" desc:"bound on graceful shutdown (in-flight publishes, NATS drain)"`
	DisableStream    bool          `split_words:"true" desc:"never open update streams (SSE); poll only"`
	HTTPInsecure     bool          `split_words:"true" desc:"serve the /v1/watches API without a token (private addresses only); a warning is logged"`
	NotifyMaxBytes   int64         `split_words:"true" desc:"largest notification body POST /v1/notify reads"`
	NotifyMaxAge     time.Duration `split_words:"true" desc:"refuse a notification whose Assembly last changed longer ago (a replay)"`
	EmbeddedNatsAddr string        `split_words:"true" desc:"host:port of the embedded NATS server (when NATS_URL is empty)"`
	MaxEventBytes    int           `split_words:"true" desc:"bound on one update stream (SSE) event, in bytes; a larger one switches the Assembly to polling"`
	GiveUpAfter      time.Duration `split_words:"true" desc:"end a watch with watch.failed after this long of nothing but failed status fetches"`
	NotFoundGrace    time.Duration `split_words:"true" desc:"end a watch with watch.failed when upstream does not know the Assembly for this long"`
}

// defaultConfig returns the configuration used for every variable that is
// not set. It is the single place defaults are written down.
func defaultConfig() Config {
	return Config{
		SubjectPrefix:    schemas.DefaultPrefix,
		Jetstream:        true,
		StreamName:       "TRANSLOADIT",
		ManageStream:     true,
		DuplicateWindow:  2 * time.Minute,
		StreamReplicas:   1,
		StreamMaxAge:     7 * 24 * time.Hour,
		StreamStorage:    "file",
		FinishedTTL:      7 * 24 * time.Hour,
		APIBase:          transloadit.DefaultAPIBase,
		AllowedHosts:     []string{"transloadit.com"},
		PollInterval:     bridge.DefaultPollInterval,
		MaxStatusRPS:     2,
		MaxWatches:       10000,
		WatchTTL:         24 * time.Hour,
		HTTPAddr:         ":8080",
		NotifyMaxBytes:   bridge.DefaultNotifyMaxBytes,
		NotifyMaxAge:     bridge.DefaultNotifyMaxAge,
		EmbeddedNatsAddr: "127.0.0.1:4222",
		DataDir:          filepath.Join(os.TempDir(), "tlbridge"),
		LogLevel:         "info",
		LogFormat:        logAuto,
		ShutdownTimeout:  20 * time.Second,
		MaxEventBytes:    stream.DefaultMaxEventSize,
		GiveUpAfter:      bridge.DefaultGiveUpAfter,
		NotFoundGrace:    bridge.DefaultNotFoundGrace,
	}
}

// loadConfig reads the environment over [defaultConfig] and validates the
// result. Every error wraps errConfig and is one line naming the variable,
// e.g. `config: TLBRIDGE_POLL_INTERVAL: invalid duration "abc"`.
func loadConfig() (Config, error) {
	cfg := defaultConfig()
	if err := envconfig.Process(envPrefix, &cfg); err != nil {
		return Config{}, describeEnvError(err)
	}
	if cfg.Instance == "" {
		cfg.Instance = defaultInstance()
	}
	for i, h := range cfg.AllowedHosts {
		cfg.AllowedHosts[i] = strings.TrimSpace(h)
	}
	return cfg, cfg.validate()
}

// loadCheckedConfig is loadConfig plus a check that every file the
// configuration names (credentials, keys, certificates) can be read, so a
// missing file stops start-up instead of the first connect.
func loadCheckedConfig() (Config, error) {
	cfg, err := loadConfig()
	if err == nil {
		err = cfg.checkFiles()
	}
	return cfg, err
}

// unknownVars lists set TLBRIDGE_* variables that configure nothing,
// which usually are typos worth a warning.
func unknownVars() []string {
	known := make(map[string]bool)
	for _, k := range configKeys() {
		known[k] = true
	}
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, envPrefix+"_") && !known[k] {
			out = append(out, k)
		}
	}
	return out
}

func defaultInstance() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "tlbridge"
	}
	return h
}

// describeEnvError turns envconfig's multi-clause message into one line
// naming the variable and the offending value.
func describeEnvError(err error) error {
	var pe *envconfig.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("%w: %v", errConfig, err)
	}
	what := "invalid value"
	switch pe.TypeName {
	case "time.Duration":
		what = "invalid duration"
	case "bool":
		what = "invalid boolean"
	case "int", "int64":
		what = "invalid integer"
	case "float64":
		what = "invalid number"
	}
	return fmt.Errorf("%w: %s: %s %q", errConfig, pe.KeyName, what, pe.Value)
}

// validate checks ranges and combinations that parsing cannot.
func (c Config) validate() error {
	for _, check := range []func() error{
		c.validateNATS, c.validateJetStream, c.validateUpstream, c.validateLimits, c.validateLogging,
	} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (c Config) validateNATS() error {
	if err := c.natsSettings().Validate(); err != nil {
		return natsConfigErr(err)
	}
	switch {
	case c.SubjectPrefix == "" || strings.ContainsAny(c.SubjectPrefix, " \t\r\n*>") ||
		strings.HasPrefix(c.SubjectPrefix, ".") || strings.HasSuffix(c.SubjectPrefix, "."):
		return configErr("SUBJECT_PREFIX", fmt.Sprintf("invalid subject prefix %q", c.SubjectPrefix))
	case len(c.SubjectPrefix) > schemas.MaxPrefixLen:
		return configErr("SUBJECT_PREFIX", fmt.Sprintf("subject prefix is %d bytes; at most %d", len(c.SubjectPrefix), schemas.MaxPrefixLen))
	case c.Jetstream && (c.StreamName == "" || strings.ContainsAny(c.StreamName, " \t\r\n.*>/\\")):
		return configErr("STREAM_NAME", fmt.Sprintf("invalid stream name %q", c.StreamName))
	}
	if c.NatsURL != "" {
		if err := checkNatsURLs(c.NatsURL); err != nil {
			return configErr("NATS_URL", err.Error())
		}
	}
	return nil
}

// natsSchemes are the URL schemes nats.go dials. Anything else (http://
// for instance) would be accepted by the client and retried forever.
var natsSchemes = map[string]bool{"nats": true, "tls": true, "ws": true, "wss": true}

// checkNatsURLs validates a comma-separated NATS_URL. Its messages show
// the URLs redacted: a URL that fails to parse is the one most likely to
// carry a mistyped password.
func checkNatsURLs(list string) error {
	for _, raw := range strings.Split(list, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			return fmt.Errorf("empty URL in %q", redact.Text(list))
		}
		if err := checkNatsURL(raw); err != nil {
			return fmt.Errorf("%q: %s", redact.URL(raw), err)
		}
	}
	return nil
}

func checkNatsURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL itself
		}
		return fmt.Errorf("invalid URL: %s", redact.Text(err.Error()))
	}
	switch {
	case !natsSchemes[u.Scheme]:
		return errors.New("scheme must be nats, tls, ws or wss")
	case u.Hostname() == "":
		return errors.New("no host")
	case u.Port() != "":
		if p, err := strconv.Atoi(u.Port()); err != nil || p < 1 || p > 65535 {
			return fmt.Errorf("invalid port %q", u.Port())
		}
	}
	return nil
}

// validateJetStream checks the stream settings; publish owns the rules,
// which are restated here in variable names.
func (c Config) validateJetStream() error {
	switch {
	case c.StreamStorage != "file" && c.StreamStorage != "memory":
		return configErr("STREAM_STORAGE", fmt.Sprintf("invalid storage %q (want file or memory)", c.StreamStorage))
	case c.DuplicateWindow < time.Second:
		return configErr("DUPLICATE_WINDOW", fmt.Sprintf("must be at least 1s, got %s", c.DuplicateWindow))
	case c.StreamMaxAge < c.DuplicateWindow:
		return configErr("STREAM_MAX_AGE", fmt.Sprintf("%s is shorter than TLBRIDGE_DUPLICATE_WINDOW %s", c.StreamMaxAge, c.DuplicateWindow))
	case c.StreamReplicas < 1 || c.StreamReplicas > 5:
		return configErr("STREAM_REPLICAS", fmt.Sprintf("must be 1 to 5, got %d", c.StreamReplicas))
	case c.StreamMaxBytes < 0:
		return configErr("STREAM_MAX_BYTES", fmt.Sprintf("must not be negative, got %d", c.StreamMaxBytes))
	case c.FinishedTTL < time.Second:
		return configErr("FINISHED_TTL", fmt.Sprintf("must be at least 1s, got %s", c.FinishedTTL))
	}
	if !c.Jetstream {
		return nil
	}
	if c.WatchTTL > c.StreamMaxAge {
		// A watch's checkpoint lives in a bucket whose entries expire
		// with the stream's age.
		return configErr("WATCH_TTL", fmt.Sprintf("%s is longer than TLBRIDGE_STREAM_MAX_AGE %s", c.WatchTTL, c.StreamMaxAge))
	}
	if err := c.streamConfig().Validate(); err != nil {
		return fmt.Errorf("%w: %v", errConfig, err)
	}
	return nil
}

// streamConfig is the event stream as configured.
func (c Config) streamConfig() publish.StreamConfig {
	storage := jetstream.FileStorage
	if c.StreamStorage == "memory" {
		storage = jetstream.MemoryStorage
	}
	return publish.StreamConfig{
		Name: c.StreamName, Subjects: []string{publish.StreamSubject(c.SubjectPrefix)},
		Duplicates: c.DuplicateWindow, MaxAge: c.StreamMaxAge, MaxBytes: c.StreamMaxBytes,
		Storage: storage, Replicas: c.StreamReplicas,
	}
}

// watchStoreConfig is the durable watches' JetStream resources as
// configured.
func (c Config) watchStoreConfig() publish.WatchStoreConfig {
	return publish.WatchStoreConfig{
		Stream: c.streamConfig(), QueueSubjects: bridge.QueueSubjects(c.SubjectPrefix), FinishedTTL: c.FinishedTTL,
	}
}

// natsSettings is the NATS part of the configuration in the publish
// package's terms; that package owns its validation.
func (c Config) natsSettings() publish.NATSConfig {
	url := c.NatsURL
	if url == "" {
		// Where a local serve runs its embedded server.
		url = "nats://" + c.EmbeddedNatsAddr
	}
	return publish.NATSConfig{
		URL: url, Name: "tlbridge/" + c.Instance,
		CredsFile: c.NatsCreds, NKeySeedFile: c.NatsNkeySeed,
		User: c.NatsUser, Password: string(c.NatsPassword), Token: string(c.NatsToken),
		TLSCAFile: c.NatsTLSCa, TLSCertFile: c.NatsTLSCert, TLSKeyFile: c.NatsTLSKey,
	}
}

// natsVars names the variable behind each publish.NATSConfig field.
var natsVars = map[string]string{
	"URL": "NATS_URL", "CredsFile": "NATS_CREDS", "NKeySeedFile": "NATS_NKEY_SEED",
	"User": "NATS_USER", "Password": "NATS_PASSWORD", "Token": "NATS_TOKEN",
	"TLSCAFile": "NATS_TLS_CA", "TLSCertFile": "NATS_TLS_CERT", "TLSKeyFile": "NATS_TLS_KEY",
}

// natsConfigErr restates a publish.ConfigError in variable names.
func natsConfigErr(err error) error {
	var ce *publish.ConfigError
	if !errors.As(err, &ce) {
		return fmt.Errorf("%w: %v", errConfig, err)
	}
	related := make([]string, len(ce.Related))
	for i, f := range ce.Related {
		related[i] = envPrefix + "_" + natsVars[f]
	}
	msg := ce.Rule
	if len(related) > 0 {
		msg += " " + strings.Join(related, ", ")
	}
	return configErr(natsVars[ce.Field], msg)
}

// checkFiles reports the first credential or TLS file that cannot be read.
// It is separate from validate because it touches the file system: it
// runs at start-up, not whenever a Config is loaded.
func (c Config) checkFiles() error {
	for _, f := range []struct{ name, path string }{
		{"NATS_CREDS", c.NatsCreds}, {"NATS_NKEY_SEED", c.NatsNkeySeed},
		{"NATS_TLS_CA", c.NatsTLSCa}, {"NATS_TLS_CERT", c.NatsTLSCert}, {"NATS_TLS_KEY", c.NatsTLSKey},
	} {
		if f.path == "" {
			continue
		}
		fh, err := os.Open(f.path)
		if err != nil {
			return configErr(f.name, err.Error())
		}
		fh.Close()
	}
	return nil
}

func (c Config) validateUpstream() error {
	if len(c.AllowedHosts) == 0 || slicesHasEmpty(c.AllowedHosts) {
		return configErr("ALLOWED_HOSTS", fmt.Sprintf("invalid host list %q", strings.Join(c.AllowedHosts, ",")))
	}
	u, err := url.Parse(c.APIBase)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return configErr("API_BASE", fmt.Sprintf("invalid URL %q", c.APIBase))
	}
	// The base is fetched like any status URL, so it must pass the same
	// allow list; finding out at start beats failing every fallback fetch.
	if _, err := c.AllowList().Check(c.APIBase); err != nil {
		return configErr("API_BASE", fmt.Sprintf("%q is not allowed by TLBRIDGE_ALLOWED_HOSTS/TLBRIDGE_ALLOW_HTTP", c.APIBase))
	}
	return nil
}

func (c Config) validateLimits() error {
	switch {
	case c.PollInterval <= 0:
		return configErr("POLL_INTERVAL", fmt.Sprintf("must be positive, got %s", c.PollInterval))
	case !poller.ValidMaxRPS(c.MaxStatusRPS):
		return configErr("MAX_STATUS_RPS", fmt.Sprintf("%v out of range (0, %v]", c.MaxStatusRPS, poller.MaxMaxRPS))
	case c.MaxWatches <= 0:
		return configErr("MAX_WATCHES", fmt.Sprintf("must be positive, got %d", c.MaxWatches))
	case c.WatchTTL <= 0:
		return configErr("WATCH_TTL", fmt.Sprintf("must be positive, got %s", c.WatchTTL))
	case c.ShutdownTimeout <= 0:
		return configErr("SHUTDOWN_TIMEOUT", fmt.Sprintf("must be positive, got %s", c.ShutdownTimeout))
	case c.MaxEventBytes < minEventBytes || c.MaxEventBytes > maxEventBytes:
		return configErr("MAX_EVENT_BYTES", fmt.Sprintf("%d out of range [%d, %d]", c.MaxEventBytes, minEventBytes, maxEventBytes))
	case c.HTTPAddr == "":
		return configErr("HTTP_ADDR", "must not be empty")
	case c.NotifyMaxBytes <= 0:
		return configErr("NOTIFY_MAX_BYTES", fmt.Sprintf("must be positive, got %d", c.NotifyMaxBytes))
	case c.GiveUpAfter <= 0:
		return configErr("GIVE_UP_AFTER", fmt.Sprintf("must be positive, got %s", c.GiveUpAfter))
	case c.NotFoundGrace <= 0:
		return configErr("NOT_FOUND_GRACE", fmt.Sprintf("must be positive, got %s", c.NotFoundGrace))
	case c.NotifyMaxAge <= 0:
		return configErr("NOTIFY_MAX_AGE", fmt.Sprintf("must be positive, got %s", c.NotifyMaxAge))
	case c.Jetstream && c.NotifyMaxAge >= c.FinishedTTL:
		// Then a replayed notification is either of a finished Assembly
		// still remembered (it publishes nothing) or too old (refused).
		return configErr("NOTIFY_MAX_AGE", fmt.Sprintf("%s must be shorter than %s_FINISHED_TTL (%s)",
			shortDuration(c.NotifyMaxAge), envPrefix, shortDuration(c.FinishedTTL)))
	case c.NatsURL == "" && c.DataDir == "":
		return configErr("DATA_DIR", "required for the embedded NATS server (TLBRIDGE_NATS_URL is empty)")
	}
	if _, _, err := c.embeddedHostPort(); err != nil {
		return configErr("EMBEDDED_NATS_ADDR", err.Error())
	}
	return nil
}

func (c Config) validateLogging() error {
	if _, err := zapcore.ParseLevel(c.LogLevel); err != nil {
		return configErr("LOG_LEVEL", fmt.Sprintf("invalid level %q (want debug, info, warn or error)", c.LogLevel))
	}
	switch c.LogFormat {
	case logAuto, logJSON, logConsole:
	default:
		return configErr("LOG_FORMAT", fmt.Sprintf("invalid format %q (want auto, json or console)", c.LogFormat))
	}
	return nil
}

func configErr(name, msg string) error {
	return fmt.Errorf("%w: %s_%s: %s", errConfig, envPrefix, name, msg)
}

func slicesHasEmpty(s []string) bool {
	for _, v := range s {
		if v == "" {
			return true
		}
	}
	return false
}

// embeddedHostPort splits EMBEDDED_NATS_ADDR; port 0 asks for a random
// free port (-1 in the publish package's terms).
func (c Config) embeddedHostPort() (string, int, error) {
	host, portText, err := net.SplitHostPort(c.EmbeddedNatsAddr)
	if err != nil {
		return "", 0, fmt.Errorf("invalid address %q: want host:port", c.EmbeddedNatsAddr)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("invalid port in %q", c.EmbeddedNatsAddr)
	}
	if port == 0 {
		port = -1
	}
	return host, port, nil
}

// AllowList is the set of URLs the bridge may fetch.
func (c Config) AllowList() transloadit.AllowList {
	return transloadit.AllowList{HostSuffixes: c.AllowedHosts, AllowHTTP: c.AllowHTTP}
}

// Redacted returns a copy safe to log: secrets are already opaque
// ([Secret]), and a password in NATS_URL user info is masked too.
func (c Config) Redacted() Config {
	r := c
	r.AllowedHosts = append([]string(nil), c.AllowedHosts...)
	urls := strings.Split(c.NatsURL, ",")
	for i, raw := range urls {
		urls[i] = redact.URL(strings.TrimSpace(raw))
	}
	r.NatsURL = strings.Join(urls, ",")
	return r
}

// String formats the redacted configuration, so %v and %+v cannot leak a
// secret either.
func (c Config) String() string {
	type plain Config // drops the methods, avoiding recursion
	return fmt.Sprintf("%+v", plain(c.Redacted()))
}

// GoString is String for %#v.
func (c Config) GoString() string {
	type plain Config
	return fmt.Sprintf("%#v", plain(c.Redacted()))
}

// MarshalLogObject logs the redacted configuration keyed by variable name,
// so a startup log line shows exactly what an operator can set.
func (c Config) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	r := c.Redacted()
	v := reflect.ValueOf(r)
	for i, key := range configKeys() {
		enc.AddString(key, formatValue(v.Field(i)))
	}
	return nil
}

// configKeys returns the variable names of Config's fields, in field
// order, as envconfig derives them.
func configKeys() []string {
	var b strings.Builder
	var cfg Config
	_ = envconfig.Usagef(envPrefix, &cfg, &b, "{{range .}}{{usage_key .}}\n{{end}}")
	return strings.Fields(b.String())
}

func formatValue(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case []string:
		return strings.Join(x, ",")
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case time.Duration:
		return shortDuration(x)
	case fmt.Stringer:
		return x.String()
	default:
		return fmt.Sprint(x)
	}
}

// shortDuration formats d like time.Duration without zero tails: "24h"
// rather than "24h0m0s", as an operator would write it.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// writeEnvUsage prints every variable with its default and description.
func writeEnvUsage(w io.Writer) {
	def := reflect.ValueOf(defaultConfig())
	t := def.Type()
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  VARIABLE\tDEFAULT\tMEANING")
	for i, key := range configKeys() {
		d := formatValue(def.Field(i))
		switch {
		case key == envPrefix+"_INSTANCE":
			d = "(host name)"
		case d == "":
			d = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", key, d, t.Field(i).Tag.Get("desc"))
	}
	tw.Flush()
}

// redactedText replaces secret values in logs and printed configuration.
const redactedText = "[redacted]"

// Secret is a configuration string that never prints: String,
// GoString and MarshalText hide a non-empty value, so neither fmt nor a
// structured logger can leak it by accident. Use string(s) to read it.
type Secret string

// String returns "[redacted]" for a set secret and "" for an empty one.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redactedText
}

// GoString hides the value from %#v as well.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// MarshalText hides the value from JSON and text encoders.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
