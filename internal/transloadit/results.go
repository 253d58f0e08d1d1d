package transloadit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Results maps Step names to their result files, in the order the Steps
// appear upstream. The order matters to watchers: events for a status are
// emitted step by step, and must come out the same way every time.
type Results struct {
	order []string
	steps map[string][]File
}

// Steps returns the Step names in upstream order. The caller must not modify it.
func (r *Results) Steps() []string { return r.order }

// Get returns the results of one Step.
func (r *Results) Get(step string) []File { return r.steps[step] }

// Len returns the number of Steps.
func (r *Results) Len() int { return len(r.order) }

// Append adds files to the end of a Step's results, creating the Step last
// in order if it is new.
func (r *Results) Append(step string, files ...File) {
	if r.steps == nil {
		r.steps = make(map[string][]File)
	}
	if _, ok := r.steps[step]; !ok {
		r.order = append(r.order, step)
	}
	r.steps[step] = append(r.steps[step], files...)
}

// Count returns the total number of result files over all Steps.
func (r *Results) Count() int {
	n := 0
	for _, fs := range r.steps {
		n += len(fs)
	}
	return n
}

// MarshalJSON writes the Steps as one JSON object in upstream order.
func (r Results) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, step := range r.order {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, _ := json.Marshal(step)
		buf.Write(k)
		buf.WriteByte(':')
		v, err := json.Marshal(r.steps[step])
		if err != nil {
			return nil, err
		}
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// UnmarshalJSON reads a JSON object of Step name to array of files,
// remembering the key order. A null Step value counts as no results.
func (r *Results) UnmarshalJSON(data []byte) error {
	d := newDecoder(data)
	defer d.release()
	d.SkipSpace()
	var nr Results
	if d.results(&nr) && d.End() {
		*r = nr
		return nil
	}
	return r.unmarshalSlow(data)
}

// unmarshalSlow is UnmarshalJSON for the documents the one-pass decoder
// leaves to encoding/json.
func (r *Results) unmarshalSlow(data []byte) error {
	*r = Results{}
	if string(bytes.TrimSpace(data)) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return errors.New("results: want a JSON object")
	}
	r.steps = make(map[string][]File)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		step, _ := tok.(string)
		var files []File
		if err := dec.Decode(&files); err != nil {
			return fmt.Errorf("results[%q]: %w", step, err)
		}
		if _, dup := r.steps[step]; dup {
			r.steps[step] = files
			continue
		}
		r.Append(step, files...)
		if files != nil && len(files) == 0 {
			r.steps[step] = []File{}
		}
	}
	_, err = dec.Token()
	return err
}
