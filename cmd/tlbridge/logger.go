package main

import (
	"io"
	"os"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/tlbridge/tlbridge/internal/redact"
)

// Log formats of TLBRIDGE_LOG_FORMAT.
const (
	logJSON    = "json"
	logConsole = "console"
	// logAuto is console text for a person at a terminal, JSON lines for
	// a log collector (anything else: a pipe, a file, a container log).
	logAuto = "auto"
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
	if resolveLogFormat(format, w) == logConsole {
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

// resolveLogFormat turns auto into console when w is a terminal and into
// json otherwise; other formats stay as they are.
func resolveLogFormat(format string, w io.Writer) string {
	if format != logAuto {
		return format
	}
	if isTerminal(w) {
		return logConsole
	}
	return logJSON
}

// isTerminal reports whether w is a character device, as a terminal is.
// (So is /dev/null, where the format does not matter.)
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
