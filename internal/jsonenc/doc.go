// Package jsonenc appends JSON values to a byte slice as encoding/json
// writes them without HTML escaping: for the hand-written encoders of
// events and watch records, which write a document in one pass instead of
// through reflection, a MarshalJSON per level and a compacting re-scan of
// each level's output.
package jsonenc
