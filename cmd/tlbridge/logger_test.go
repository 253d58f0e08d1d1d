package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveLogFormat(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	file, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	// A terminal is a character device; /dev/null is one that every
	// machine has.
	charDev, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer charDev.Close()
	tests := []struct {
		name   string
		format string
		w      io.Writer
		want   string
	}{
		{"auto to a pipe", logAuto, pw, logJSON},
		{"auto to a file", logAuto, file, logJSON},
		{"auto to a buffer", logAuto, &bytes.Buffer{}, logJSON},
		{"auto to a character device", logAuto, charDev, logConsole},
		{"json to a character device", logJSON, charDev, logJSON},
		{"console to a pipe", logConsole, pw, logConsole},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resolveLogFormat(tt.format, tt.w); got != tt.want {
				t.Errorf("resolveLogFormat(%q, %T) = %q; want %q", tt.format, tt.w, got, tt.want)
			}
		})
	}
}

// TestAutoLogFormatIsJSONWhenCollected: logs written to anything but a
// terminal are JSON lines by default.
func TestAutoLogFormatIsJSONWhenCollected(t *testing.T) {
	var buf bytes.Buffer
	newLogger(&buf, "info", defaultConfig().LogFormat).Info("hello")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line["msg"] != "hello" {
		t.Errorf("default log line = %q; want a JSON object with msg hello", strings.TrimSpace(buf.String()))
	}
}
