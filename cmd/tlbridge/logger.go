package main

import (
	"io"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/tlbridge/tlbridge/internal/redact"
)

// newLogger builds the process logger: JSON lines (for log collectors) or
// console text, at level, written to w, with URL credentials redacted. Level and format are validated by
// loadConfig; an unknown level falls back to info.
func newLogger(w io.Writer, level, format string) *zap.Logger {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		lvl = zapcore.InfoLevel
	}
	encCfg := zap.NewProductionEncoderConfig()
	encCfg.EncodeTime = zapcore.ISO8601TimeEncoder
	var enc zapcore.Encoder
	if format == "console" {
		encCfg.EncodeLevel = zapcore.CapitalLevelEncoder
		enc = zapcore.NewConsoleEncoder(encCfg)
	} else {
		enc = zapcore.NewJSONEncoder(encCfg)
	}
	// Every line passes through redact.Core: an error from any library
	// may quote a URL with its credentials.
	core := redact.Core(zapcore.NewCore(enc, zapcore.Lock(zapcore.AddSync(w)), lvl))
	return zap.New(core, zap.ErrorOutput(zapcore.Lock(zapcore.AddSync(w))))
}
