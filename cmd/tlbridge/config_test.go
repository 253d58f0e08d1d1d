package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
)

// documentedVars is the configuration surface promised in the README and
// the Helm chart; configKeys must produce exactly these names.
var documentedVars = []string{
	"NATS_URL", "NATS_CREDS", "NATS_NKEY_SEED", "NATS_USER", "NATS_PASSWORD", "NATS_TOKEN",
	"NATS_TLS_CA", "NATS_TLS_CERT", "NATS_TLS_KEY", "SUBJECT_PREFIX", "JETSTREAM", "STREAM_NAME",
	"MANAGE_STREAM", "DUPLICATE_WINDOW", "STREAM_REPLICAS", "STREAM_MAX_AGE", "STREAM_STORAGE",
	"STREAM_MAX_BYTES", "FINISHED_TTL", "API_BASE", "ALLOWED_HOSTS", "ALLOW_HTTP", "POLL_INTERVAL", "MAX_STATUS_RPS",
	"MAX_WATCHES", "WATCH_TTL", "HTTP_ADDR", "HTTP_TOKEN", "AUTH_KEY", "AUTH_SECRET", "INSTANCE",
	"DATA_DIR", "LOG_LEVEL", "LOG_FORMAT", "SHUTDOWN_TIMEOUT", "DISABLE_STREAM",
	"HTTP_INSECURE", "NOTIFY_MAX_BYTES", "NOTIFY_MAX_AGE", "EMBEDDED_NATS_ADDR", "MAX_EVENT_BYTES",
	"GIVE_UP_AFTER", "NOT_FOUND_GRACE",
}

// clearConfigEnv unsets every configuration variable, prefixed and not,
// for the duration of the test, so the developer's environment cannot
// leak in.
func clearConfigEnv(t *testing.T) {
	t.Helper()
	for _, name := range documentedVars {
		for _, k := range []string{envPrefix + "_" + name, name} {
			t.Setenv(k, "") // registers the restore
			os.Unsetenv(k)
		}
	}
	t.Setenv("NATS_PORT", "")
	os.Unsetenv("NATS_PORT")
}

func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
}

func TestConfigKeys(t *testing.T) {
	var want []string
	for _, n := range documentedVars {
		want = append(want, envPrefix+"_"+n)
	}
	if got := configKeys(); !reflect.DeepEqual(got, want) {
		t.Errorf("configKeys() = %q; want %q", got, want)
	}
}

func TestLoadConfigDefaults(t *testing.T) {
	clearConfigEnv(t)
	got, err := loadConfig()
	if err != nil {
		t.Fatalf("loadConfig() error = %v", err)
	}
	want := defaultConfig()
	want.Instance = defaultInstance()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("loadConfig() = %+v; want %+v", got, want)
	}
	if got.SubjectPrefix != "transloadit" || !got.Jetstream || got.StreamName != "TRANSLOADIT" ||
		!got.ManageStream || got.APIBase != "https://api2.transloadit.com" ||
		!reflect.DeepEqual(got.AllowedHosts, []string{"transloadit.com"}) || got.AllowHTTP ||
		got.PollInterval != 2*time.Second || got.MaxStatusRPS != 2 || got.MaxWatches != 10000 ||
		got.WatchTTL != 24*time.Hour || got.HTTPAddr != ":8080" || got.LogLevel != "info" ||
		got.LogFormat != "auto" || got.ShutdownTimeout != 20*time.Second || got.DisableStream ||
		got.NatsURL != "" || got.DataDir == "" {
		t.Errorf("defaults differ from the documented ones: %+v", got)
	}
}

func TestLoadConfigEveryVariable(t *testing.T) {
	clearConfigEnv(t)
	setEnv(t, map[string]string{
		"TLBRIDGE_NATS_URL":           "nats://a:4222, nats://b:4222",
		"TLBRIDGE_NATS_USER":          "bridge",
		"TLBRIDGE_NATS_PASSWORD":      "pw",
		"TLBRIDGE_NATS_TLS_CA":        "/tls/ca.pem",
		"TLBRIDGE_NATS_TLS_CERT":      "/tls/cert.pem",
		"TLBRIDGE_NATS_TLS_KEY":       "/tls/key.pem",
		"TLBRIDGE_SUBJECT_PREFIX":     "acme.tl",
		"TLBRIDGE_JETSTREAM":          "false",
		"TLBRIDGE_STREAM_NAME":        "EVENTS",
		"TLBRIDGE_MANAGE_STREAM":      "false",
		"TLBRIDGE_DUPLICATE_WINDOW":   "5m",
		"TLBRIDGE_STREAM_REPLICAS":    "3",
		"TLBRIDGE_STREAM_MAX_AGE":     "72h",
		"TLBRIDGE_STREAM_STORAGE":     "memory",
		"TLBRIDGE_STREAM_MAX_BYTES":   "1073741824",
		"TLBRIDGE_FINISHED_TTL":       "48h",
		"TLBRIDGE_API_BASE":           "http://127.0.0.1:9000",
		"TLBRIDGE_ALLOWED_HOSTS":      "transloadit.com, 127.0.0.1",
		"TLBRIDGE_ALLOW_HTTP":         "true",
		"TLBRIDGE_POLL_INTERVAL":      "750ms",
		"TLBRIDGE_MAX_STATUS_RPS":     "2.5",
		"TLBRIDGE_MAX_WATCHES":        "7",
		"TLBRIDGE_WATCH_TTL":          "90m",
		"TLBRIDGE_HTTP_ADDR":          "127.0.0.1:9090",
		"TLBRIDGE_HTTP_TOKEN":         "ht",
		"TLBRIDGE_AUTH_KEY":           "key",
		"TLBRIDGE_AUTH_SECRET":        "sec",
		"TLBRIDGE_INSTANCE":           "pod-1",
		"TLBRIDGE_DATA_DIR":           "/data",
		"TLBRIDGE_LOG_LEVEL":          "debug",
		"TLBRIDGE_LOG_FORMAT":         "console",
		"TLBRIDGE_SHUTDOWN_TIMEOUT":   "5s",
		"TLBRIDGE_DISABLE_STREAM":     "true",
		"TLBRIDGE_HTTP_INSECURE":      "true",
		"TLBRIDGE_NOTIFY_MAX_BYTES":   "1048576",
		"TLBRIDGE_NOTIFY_MAX_AGE":     "2h",
		"TLBRIDGE_EMBEDDED_NATS_ADDR": "127.0.0.1:14222",
		"TLBRIDGE_MAX_EVENT_BYTES":    "1048576",
		"TLBRIDGE_GIVE_UP_AFTER":      "3m",
		"TLBRIDGE_NOT_FOUND_GRACE":    "30s",
	})
	got, err := loadConfig()
	if err != nil {
		t.Fatalf("loadConfig() error = %v", err)
	}
	want := Config{
		NatsURL:  "nats://a:4222, nats://b:4222",
		NatsUser: "bridge", NatsPassword: "pw", NatsTLSCa: "/tls/ca.pem",
		NatsTLSCert: "/tls/cert.pem", NatsTLSKey: "/tls/key.pem", SubjectPrefix: "acme.tl",
		Jetstream: false, StreamName: "EVENTS", ManageStream: false,
		DuplicateWindow: 5 * time.Minute, StreamReplicas: 3, StreamMaxAge: 72 * time.Hour, StreamStorage: "memory",
		StreamMaxBytes: 1 << 30, FinishedTTL: 48 * time.Hour, APIBase: "http://127.0.0.1:9000",
		AllowedHosts: []string{"transloadit.com", "127.0.0.1"}, AllowHTTP: true,
		PollInterval: 750 * time.Millisecond, MaxStatusRPS: 2.5, MaxWatches: 7, WatchTTL: 90 * time.Minute,
		HTTPAddr: "127.0.0.1:9090", HTTPToken: "ht", AuthKey: "key", AuthSecret: "sec", Instance: "pod-1",
		DataDir: "/data", LogLevel: "debug", LogFormat: "console", ShutdownTimeout: 5 * time.Second,
		HTTPInsecure: true, NotifyMaxBytes: 1 << 20, NotifyMaxAge: 2 * time.Hour, EmbeddedNatsAddr: "127.0.0.1:14222", MaxEventBytes: 1 << 20,
		GiveUpAfter: 3 * time.Minute, NotFoundGrace: 30 * time.Second,
		DisableStream: true,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("loadConfig() =\n%#v\nwant\n%#v", got, want)
	}
}

// TestLoadConfigNATSAuth covers the credentials that exclude each other
// (and so are not all set in TestLoadConfigEveryVariable).
func TestLoadConfigNATSAuth(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]string
		want func(Config) bool
	}{
		{"creds", map[string]string{"TLBRIDGE_NATS_CREDS": "/secrets/nats.creds"}, func(c Config) bool { return c.NatsCreds == "/secrets/nats.creds" }},
		{"nkey", map[string]string{"TLBRIDGE_NATS_NKEY_SEED": "/secrets/seed"}, func(c Config) bool { return c.NatsNkeySeed == "/secrets/seed" }},
		{"token", map[string]string{"TLBRIDGE_NATS_TOKEN": "tok"}, func(c Config) bool { return c.NatsToken == "tok" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearConfigEnv(t)
			setEnv(t, tt.in)
			got, err := loadConfig()
			if err != nil || !tt.want(got) {
				t.Errorf("loadConfig() with %v = %+v, %v", tt.in, got, err)
			}
		})
	}
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]string
		want string
	}{
		{"duration", map[string]string{"TLBRIDGE_POLL_INTERVAL": "abc"}, `config: TLBRIDGE_POLL_INTERVAL: invalid duration "abc"`},
		{"empty duration", map[string]string{"TLBRIDGE_WATCH_TTL": ""}, `config: TLBRIDGE_WATCH_TTL: invalid duration ""`},
		{"bool", map[string]string{"TLBRIDGE_JETSTREAM": "maybe"}, `config: TLBRIDGE_JETSTREAM: invalid boolean "maybe"`},
		{"int", map[string]string{"TLBRIDGE_MAX_WATCHES": "ten"}, `config: TLBRIDGE_MAX_WATCHES: invalid integer "ten"`},
		{"float", map[string]string{"TLBRIDGE_MAX_STATUS_RPS": "fast"}, `config: TLBRIDGE_MAX_STATUS_RPS: invalid number "fast"`},
		{"rps too high", map[string]string{"TLBRIDGE_MAX_STATUS_RPS": "3"}, `config: TLBRIDGE_MAX_STATUS_RPS: 3 out of range (0, 2.5]`},
		{"rps zero", map[string]string{"TLBRIDGE_MAX_STATUS_RPS": "0"}, `config: TLBRIDGE_MAX_STATUS_RPS: 0 out of range (0, 2.5]`},
		{"rps NaN", map[string]string{"TLBRIDGE_MAX_STATUS_RPS": "NaN"}, `config: TLBRIDGE_MAX_STATUS_RPS: NaN out of range (0, 2.5]`},
		{"poll zero", map[string]string{"TLBRIDGE_POLL_INTERVAL": "0s"}, `config: TLBRIDGE_POLL_INTERVAL: must be positive, got 0s`},
		{"ttl negative", map[string]string{"TLBRIDGE_WATCH_TTL": "-1h"}, `config: TLBRIDGE_WATCH_TTL: must be positive, got -1h0m0s`},
		{"watches zero", map[string]string{"TLBRIDGE_MAX_WATCHES": "0"}, `config: TLBRIDGE_MAX_WATCHES: must be positive, got 0`},
		{"shutdown zero", map[string]string{"TLBRIDGE_SHUTDOWN_TIMEOUT": "0s"}, `config: TLBRIDGE_SHUTDOWN_TIMEOUT: must be positive, got 0s`},
		{"http addr", map[string]string{"TLBRIDGE_HTTP_ADDR": ""}, `config: TLBRIDGE_HTTP_ADDR: must not be empty`},
		{"event bound too small", map[string]string{"TLBRIDGE_MAX_EVENT_BYTES": "1000"}, `config: TLBRIDGE_MAX_EVENT_BYTES: 1000 out of range [65536, 67108864]`},
		{"event bound too large", map[string]string{"TLBRIDGE_MAX_EVENT_BYTES": "1000000000"}, `config: TLBRIDGE_MAX_EVENT_BYTES: 1000000000 out of range [65536, 67108864]`},
		{"embedded addr", map[string]string{"TLBRIDGE_EMBEDDED_NATS_ADDR": "4222"}, `config: TLBRIDGE_EMBEDDED_NATS_ADDR: invalid address "4222": want host:port`},
		{"notify max bytes", map[string]string{"TLBRIDGE_NOTIFY_MAX_BYTES": "0"}, `config: TLBRIDGE_NOTIFY_MAX_BYTES: must be positive, got 0`},
		{"notify age past the finished memory", map[string]string{"TLBRIDGE_NOTIFY_MAX_AGE": "200h"},
			`config: TLBRIDGE_NOTIFY_MAX_AGE: 200h must be shorter than TLBRIDGE_FINISHED_TTL (168h)`},
		{"log level", map[string]string{"TLBRIDGE_LOG_LEVEL": "loud"}, `config: TLBRIDGE_LOG_LEVEL: invalid level "loud" (want debug, info, warn or error)`},
		{"log format", map[string]string{"TLBRIDGE_LOG_FORMAT": "xml"}, `config: TLBRIDGE_LOG_FORMAT: invalid format "xml" (want auto, json or console)`},
		{"tls cert without key", map[string]string{"TLBRIDGE_NATS_TLS_CERT": "c.pem"}, `config: TLBRIDGE_NATS_TLS_CERT: set together with TLBRIDGE_NATS_TLS_KEY`},
		{"user without password", map[string]string{"TLBRIDGE_NATS_USER": "u"}, `config: TLBRIDGE_NATS_PASSWORD: required with TLBRIDGE_NATS_USER`},
		{"password without user", map[string]string{"TLBRIDGE_NATS_PASSWORD": "p"}, `config: TLBRIDGE_NATS_USER: required with TLBRIDGE_NATS_PASSWORD`},
		{"two auth kinds", map[string]string{"TLBRIDGE_NATS_TOKEN": "t", "TLBRIDGE_NATS_CREDS": "c"},
			`config: TLBRIDGE_NATS_CREDS: give only one of TLBRIDGE_NATS_CREDS, TLBRIDGE_NATS_NKEY_SEED, TLBRIDGE_NATS_USER, TLBRIDGE_NATS_TOKEN`},
		{"prefix wildcard", map[string]string{"TLBRIDGE_SUBJECT_PREFIX": "a.>"}, `config: TLBRIDGE_SUBJECT_PREFIX: invalid subject prefix "a.>"`},
		{"prefix empty", map[string]string{"TLBRIDGE_SUBJECT_PREFIX": ""}, `config: TLBRIDGE_SUBJECT_PREFIX: invalid subject prefix ""`},
		{"prefix too long", map[string]string{"TLBRIDGE_SUBJECT_PREFIX": strings.Repeat("p", 129)}, `config: TLBRIDGE_SUBJECT_PREFIX: subject prefix is 129 bytes; at most 128`},
		{"stream name", map[string]string{"TLBRIDGE_STREAM_NAME": "A.B"}, `config: TLBRIDGE_STREAM_NAME: invalid stream name "A.B"`},
		{"storage", map[string]string{"TLBRIDGE_STREAM_STORAGE": "disk"}, `config: TLBRIDGE_STREAM_STORAGE: invalid storage "disk" (want file or memory)`},
		{"window too short", map[string]string{"TLBRIDGE_DUPLICATE_WINDOW": "500ms"}, `config: TLBRIDGE_DUPLICATE_WINDOW: must be at least 1s, got 500ms`},
		{"age below window", map[string]string{"TLBRIDGE_STREAM_MAX_AGE": "1m"}, `config: TLBRIDGE_STREAM_MAX_AGE: 1m0s is shorter than TLBRIDGE_DUPLICATE_WINDOW 2m0s`},
		{"replicas", map[string]string{"TLBRIDGE_STREAM_REPLICAS": "0"}, `config: TLBRIDGE_STREAM_REPLICAS: must be 1 to 5, got 0`},
		{"max bytes", map[string]string{"TLBRIDGE_STREAM_MAX_BYTES": "-1"}, `config: TLBRIDGE_STREAM_MAX_BYTES: must not be negative, got -1`},
		{"max bytes not a number", map[string]string{"TLBRIDGE_STREAM_MAX_BYTES": "1G"}, `config: TLBRIDGE_STREAM_MAX_BYTES: invalid integer "1G"`},
		{"watch outlives its checkpoint", map[string]string{"TLBRIDGE_STREAM_MAX_AGE": "12h"}, `config: TLBRIDGE_WATCH_TTL: 24h0m0s is longer than TLBRIDGE_STREAM_MAX_AGE 12h0m0s`},
		{"finished ttl", map[string]string{"TLBRIDGE_FINISHED_TTL": "0s"}, `config: TLBRIDGE_FINISHED_TTL: must be at least 1s, got 0s`},
		{"nats url list", map[string]string{"TLBRIDGE_NATS_URL": "nats://a:4222,,nats://b:4222"}, `config: TLBRIDGE_NATS_URL: empty URL in "nats://a:4222,,nats://b:4222"`},
		{"nats url http", map[string]string{"TLBRIDGE_NATS_URL": "http://x:4222"}, `config: TLBRIDGE_NATS_URL: "http://x:4222": scheme must be nats, tls, ws or wss`},
		{"nats url without scheme", map[string]string{"TLBRIDGE_NATS_URL": "nats-1:4222"}, `config: TLBRIDGE_NATS_URL: "nats-1:4222": scheme must be nats, tls, ws or wss`},
		{"nats url port out of range", map[string]string{"TLBRIDGE_NATS_URL": "nats://u:hunter2@h:99999"}, `config: TLBRIDGE_NATS_URL: "nats://u:%5Bredacted%5D@h:99999": invalid port "99999"`},
		{"nats url no host", map[string]string{"TLBRIDGE_NATS_URL": "tls://:4222"}, `config: TLBRIDGE_NATS_URL: "tls://:4222": no host`},
		{"nats url second of two", map[string]string{"TLBRIDGE_NATS_URL": "nats://a:4222,ws2://b"}, `config: TLBRIDGE_NATS_URL: "ws2://b": scheme must be nats, tls, ws or wss`},
		{"nats url unparsable userinfo", map[string]string{"TLBRIDGE_NATS_URL": "nats://bridge:Pa55w0rd SECRET@127.0.0.1:24223"},
			`config: TLBRIDGE_NATS_URL: "nats://[redacted]@127.0.0.1:24223": invalid URL: net/url: invalid userinfo`},
		{"nats url bad port", map[string]string{"TLBRIDGE_NATS_URL": "nats://bridge:Pa55w0rd@127.0.0.1:x"},
			`config: TLBRIDGE_NATS_URL: "nats://[redacted]@127.0.0.1:x": invalid URL: invalid port ":x" after host`},
		{"allowed hosts empty", map[string]string{"TLBRIDGE_ALLOWED_HOSTS": ""}, `config: TLBRIDGE_ALLOWED_HOSTS: invalid host list ""`},
		{"api base not a URL", map[string]string{"TLBRIDGE_API_BASE": "api2.transloadit.com"}, `config: TLBRIDGE_API_BASE: invalid URL "api2.transloadit.com"`},
		{"api base http", map[string]string{"TLBRIDGE_API_BASE": "http://api2.transloadit.com"},
			`config: TLBRIDGE_API_BASE: "http://api2.transloadit.com" is not allowed by TLBRIDGE_ALLOWED_HOSTS/TLBRIDGE_ALLOW_HTTP`},
		{"api base foreign host", map[string]string{"TLBRIDGE_API_BASE": "https://example.com"},
			`config: TLBRIDGE_API_BASE: "https://example.com" is not allowed by TLBRIDGE_ALLOWED_HOSTS/TLBRIDGE_ALLOW_HTTP`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearConfigEnv(t)
			setEnv(t, tt.in)
			_, err := loadConfig()
			if err == nil {
				t.Fatalf("loadConfig() with %v: no error; want %q", tt.in, tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("loadConfig() with %v = %q; want %q", tt.in, got, tt.want)
			}
			if !errors.Is(err, errConfig) {
				t.Errorf("loadConfig() error %v does not wrap errConfig", err)
			}
		})
	}
}

// TestLoadConfigNoUnprefixedFallback proves that un-prefixed variables,
// such as the NATS_PORT=tcp://... Kubernetes injects for a Service named
// "nats", never reach the configuration.
func TestLoadConfigNoUnprefixedFallback(t *testing.T) {
	clearConfigEnv(t)
	t.Setenv("NATS_PORT", "tcp://10.0.0.1:4222")
	t.Setenv("NATS_URL", "nats://10.0.0.1:4222")
	t.Setenv("NATS_TOKEN", "stolen")
	t.Setenv("POLL_INTERVAL", "abc")     // would fail parsing if read
	t.Setenv("JETSTREAM", "not-a-bool")  // would fail parsing if read
	t.Setenv("SUBJECT_PREFIX", "hijack") // would change every subject if read
	t.Setenv("HTTP_ADDR", ":1")
	got, err := loadConfig()
	if err != nil {
		t.Fatalf("loadConfig() error = %v; un-prefixed variables must be ignored", err)
	}
	want := defaultConfig()
	want.Instance = defaultInstance()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("loadConfig() = %+v; want the defaults %+v", got, want)
	}
}

// TestRunBadNatsURLKeepsSecrets runs the commands with NATS URLs that
// carry a password and are broken in ways that make them fail to parse or
// dial: each stops at start with the configuration exit code, and the
// password appears nowhere in the output.
func TestRunBadNatsURLKeepsSecrets(t *testing.T) {
	for _, raw := range []string{
		"nats://bridge:Pa55w0rd SECRET@127.0.0.1:24223",
		"nats://bridge:Pa55w0rdSECRET@127.0.0.1:x",
		"nats://bridge:Pa55w0rdSECRET@127.0.0.1:99999",
		"nats://bridge:Pa55w0rdSECRET@[::1",
		"http://bridge:Pa55w0rdSECRET@127.0.0.1:4222",
		"nats://127.0.0.1:4222, bridge:Pa55w0rd SECRET@127.0.0.1",
	} {
		for _, cmd := range []string{"serve", "watch"} {
			t.Run(cmd+" "+raw, func(t *testing.T) {
				clearConfigEnv(t)
				t.Setenv("TLBRIDGE_NATS_URL", raw)
				t.Setenv("TLBRIDGE_HTTP_ADDR", "127.0.0.1:0")
				t.Setenv("TLBRIDGE_DATA_DIR", t.TempDir())
				args := []string{cmd}
				if cmd == "watch" {
					args = append(args, strings.Repeat("a", 32))
				}
				ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
				defer cancel()
				var stdout, stderr bytes.Buffer
				code := run(ctx, args, &stdout, &stderr)
				if code != exitUsage {
					t.Errorf("run(%q) = %d; want %d; stderr %s", args, code, exitUsage, stderr.String())
				}
				out := stdout.String() + stderr.String()
				for _, secret := range []string{"Pa55w0rd", "SECRET"} {
					if strings.Contains(out, secret) {
						t.Errorf("output holds %q: %s", secret, out)
					}
				}
				if !strings.Contains(stderr.String(), "TLBRIDGE_NATS_URL") {
					t.Errorf("stderr %q does not name TLBRIDGE_NATS_URL", stderr.String())
				}
			})
		}
	}
}

func TestRunConfigErrorExitCode(t *testing.T) {
	for _, cmd := range []string{"serve", "watch"} {
		t.Run(cmd, func(t *testing.T) {
			clearConfigEnv(t)
			t.Setenv("TLBRIDGE_POLL_INTERVAL", "abc")
			var stdout, stderr bytes.Buffer
			args := []string{cmd}
			if cmd == "watch" {
				args = append(args, strings.Repeat("a", 32))
			}
			code := run(context.Background(), args, &stdout, &stderr)
			if code != exitUsage {
				t.Errorf("run(%q) = %d; want %d", args, code, exitUsage)
			}
			want := "config: TLBRIDGE_POLL_INTERVAL: invalid duration \"abc\"\n"
			if stderr.String() != want {
				t.Errorf("run(%q) stderr = %q; want exactly %q", args, stderr.String(), want)
			}
		})
	}
}

func TestConfigRedacted(t *testing.T) {
	cfg := defaultConfig()
	cfg.NatsURL = "nats://bridge:hunter2@nats-1:4222,nats://s3cr3ttoken@nats-2:4222"
	cfg.NatsPassword = "pw-value"
	cfg.NatsToken = "token-value"
	cfg.HTTPToken = "http-token-value"
	cfg.AuthSecret = "auth-secret-value"
	secrets := []string{"hunter2", "s3cr3ttoken", "pw-value", "token-value", "http-token-value", "auth-secret-value"}

	var logBuf bytes.Buffer
	newLogger(&logBuf, "info", "json").Info("starting", zap.Object("config", cfg))
	outputs := map[string]string{
		"%v":  fmt.Sprintf("%v", cfg),
		"%+v": fmt.Sprintf("%+v", cfg),
		"%#v": fmt.Sprintf("%#v", cfg),
		"log": logBuf.String(),
	}
	for name, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s output contains secret %q: %s", name, s, out)
			}
		}
	}
	for _, want := range []string{
		`"TLBRIDGE_NATS_URL":"nats://bridge:%5Bredacted%5D@nats-1:4222,nats://%5Bredacted%5D@nats-2:4222"`,
		`"TLBRIDGE_HTTP_TOKEN":"[redacted]"`,
		`"TLBRIDGE_POLL_INTERVAL":"2s"`,
		`"TLBRIDGE_ALLOWED_HOSTS":"transloadit.com"`,
		`"TLBRIDGE_AUTH_KEY":""`,
	} {
		if !strings.Contains(logBuf.String(), want) {
			t.Errorf("startup log lacks %s: %s", want, logBuf.String())
		}
	}
	// Redacting must not touch the configuration that is used.
	if string(cfg.NatsPassword) != "pw-value" || !strings.Contains(cfg.NatsURL, "hunter2") {
		t.Errorf("Redacted changed the original configuration")
	}
}

func TestUnknownVars(t *testing.T) {
	clearConfigEnv(t)
	t.Setenv("TLBRIDGE_POL_INTERVAL", "1s")
	t.Setenv("TLBRIDGE_POLL_INTERVAL", "1s")
	got := unknownVars()
	if !reflect.DeepEqual(got, []string{"TLBRIDGE_POL_INTERVAL"}) {
		t.Errorf("unknownVars() = %q; want [TLBRIDGE_POL_INTERVAL]", got)
	}
}
