package schemas

import (
	"embed"
	"fmt"
	"io/fs"
)

// SchemaBaseURL is the base of every schema's $id. The $id of a type's
// schema is SchemaBaseURL + "<type>.json" (see [Type.SchemaURL]); it names
// the schema and need not be fetchable: the schemas ship in this package.
const SchemaBaseURL = "https://schemas.tlbridge.dev/transloadit/v1/"

// Names of the schema files that are not an event type's.
const (
	// CommonSchemaFile holds the definitions the type schemas share
	// (base fields, file object, summary); they reference it as
	// "common.json#/$defs/...", relative to their $id.
	CommonSchemaFile = "common.json"
	// EnvelopeSchemaFile describes the CloudEvents envelope of this
	// catalogue's events.
	EnvelopeSchemaFile = "envelope.json"
)

//go:embed v1/*.json
var schemaFS embed.FS

// SchemaFiles returns the v1 JSON Schemas (draft 2020-12): "<type>.json" for
// each event type's data, plus CommonSchemaFile and EnvelopeSchemaFile. Each
// file's $id is SchemaBaseURL + its name; a validator must be given all of
// them, since the type schemas refer to CommonSchemaFile.
func SchemaFiles() fs.FS {
	sub, err := fs.Sub(schemaFS, "v1")
	if err != nil {
		panic(err) // "v1" is a constant, valid path
	}
	return sub
}

// Schema returns the JSON Schema of t's data.
func Schema(t Type) ([]byte, error) {
	b, err := fs.ReadFile(SchemaFiles(), string(t)+".json")
	if err != nil {
		return nil, fmt.Errorf("schemas: no schema for %q: %w", t, err)
	}
	return b, nil
}
