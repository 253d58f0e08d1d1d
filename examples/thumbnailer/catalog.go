package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tlbridge/tlbridge/schemas"
)

// catalog keeps one directory per Assembly: a JSON file per thumbnail,
// named for its event ID, and done.json once the Assembly completed.
type catalog struct{ dir string }

func newCatalog(dir string) (*catalog, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("catalogue: %w", err)
	}
	return &catalog{dir: dir}, nil
}

// thumbnail is what the catalogue records of one result.
type thumbnail struct {
	AssemblyID string `json:"assembly_id"`
	Step       string `json:"step"`
	Name       string `json:"name"`
	URL        string `json:"ssl_url"`
	Mime       string `json:"mime,omitempty"`
	Size       int64  `json:"size"`
}

// addThumbnail records r. The file is named for the event ID, so a
// redelivered event rewrites it rather than adding a second one.
func (c *catalog) addThumbnail(eventID string, r *schemas.StepResult) error {
	t := thumbnail{AssemblyID: r.AssemblyID, Step: r.Step, Name: r.Result.Name, URL: r.Result.SSLURL,
		Mime: r.Result.Mime, Size: r.Result.Size}
	return c.write(r.AssemblyID, schemas.EscapeToken(eventID)+".json", t)
}

// markDone records that the Assembly completed, with its summary.
func (c *catalog) markDone(assemblyID string, s schemas.Summary) error {
	return c.write(assemblyID, "done.json", s)
}

// write stores v as JSON, atomically: a reader never sees half a file.
func (c *catalog) write(assemblyID, name string, v any) error {
	dir := filepath.Join(c.dir, schemas.EscapeToken(assemblyID))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, name))
}
