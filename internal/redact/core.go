package redact

import (
	"fmt"

	"go.uber.org/zap/zapcore"
)

// Core wraps c so that every entry's message and its string, byte
// string, error and Stringer fields pass through [Text] before they are
// written: a URL with credentials in an error from any library cannot
// reach the log. Object and reflected fields are written as they are;
// their types must redact themselves.
func Core(c zapcore.Core) zapcore.Core { return core{c} }

type core struct{ zapcore.Core }

var _ zapcore.Core = core{}

func (c core) With(fs []zapcore.Field) zapcore.Core { return core{c.Core.With(fields(fs))} }

func (c core) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c core) Write(e zapcore.Entry, fs []zapcore.Field) error {
	e.Message = Text(e.Message)
	return c.Core.Write(e, fields(fs))
}

// fields returns fs with every string-like value redacted, copying fs
// only when something changed.
func fields(fs []zapcore.Field) []zapcore.Field {
	out, copied := fs, false
	for i, f := range fs {
		g, changed := field(f)
		if !changed {
			continue
		}
		if !copied {
			out, copied = append([]zapcore.Field(nil), fs...), true
		}
		out[i] = g
	}
	return out
}

// field redacts one field; it reports whether the value changed.
func field(f zapcore.Field) (zapcore.Field, bool) {
	var s string
	switch f.Type {
	case zapcore.StringType:
		s = f.String
	case zapcore.ByteStringType:
		s = string(f.Interface.([]byte))
	case zapcore.ErrorType:
		if err, ok := f.Interface.(error); ok && err != nil {
			s = err.Error()
		}
	case zapcore.StringerType:
		if st, ok := f.Interface.(fmt.Stringer); ok && st != nil {
			s = safeString(st)
		}
	default:
		return f, false
	}
	r := Text(s)
	if r == s {
		return f, false
	}
	return zapcore.Field{Key: f.Key, Type: zapcore.StringType, String: r}, true
}

// safeString calls String, as zap does, without letting a nil receiver
// panic out of the logger.
func safeString(st fmt.Stringer) (s string) {
	defer func() {
		if recover() != nil {
			s = ""
		}
	}()
	return st.String()
}
