package redact

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

type stringer string

func (s stringer) String() string { return string(s) }

func TestCore(t *testing.T) {
	var buf bytes.Buffer
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	log := zap.New(Core(zapcore.NewCore(enc, zapcore.AddSync(&buf), zapcore.DebugLevel)))
	log = log.With(zap.String("url", "nats://bridge:hunter2@h:4222"))
	log.Error("connect to nats://s3cr3ttoken@h:4222 failed",
		zap.Error(errors.New(`parse "nats://bridge:Pa55w0rd SECRET@127.0.0.1:24223": net/url: invalid userinfo`)),
		zap.Stringer("peer", stringer("tls://x:Pa55w0rd@h")),
		zap.ByteString("raw", []byte("ws://SECRET@h")),
		zap.Int("n", 1))
	out := buf.String()
	checkClean(t, "Core", out)
	for _, want := range []string{`"n":1`, "127.0.0.1:24223", "invalid userinfo", Marker} {
		if !strings.Contains(out, want) {
			t.Errorf("log %s lacks %q", out, want)
		}
	}
	if log.Core().Enabled(zapcore.DebugLevel) != true {
		t.Error("Core changed the level")
	}
}
