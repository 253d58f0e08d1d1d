package schemas

import (
	"encoding/json"
	"unicode/utf8"
)

// shrinker is implemented by the payloads that can be made smaller. Each
// payload type says here, next to its definition's package, how large it
// can get and how it gives way; [Event.Shrink] needs nothing else, so a
// new payload type is one place to edit (a test checks every type of the
// catalogue implements it).
type shrinker interface {
	// sizeBound is an upper bound of the payload's encoded size beyond
	// the members of [Base].
	sizeBound() int
	// reducers lists the ways to make the payload smaller, mildest first.
	reducers() []func()
}

// DefaultMaxPayload is the NATS server's default max_payload, the size an
// event is shrunk to fit when nothing else is known.
const DefaultMaxPayload = 1 << 20

// Parts of a size bound: JSON escaping makes a string at most 6 times
// longer (\u00XX per byte); raw JSON is copied as it is; the rest (member
// names, numbers, punctuation) is bounded by a constant per object.
const (
	escapeFactor = 6
	envelopeRoom = 1024 // envelope and base members besides their strings
	fileRoom     = 512  // a file's typed members besides their strings
	entryRoom    = 64   // one summary step or progress entry besides its strings
)

// Text is cut to these many bytes, in turn.
const (
	textLong  = 64 << 10
	textShort = 1 << 10
)

// Shrink makes e encode to at most limit bytes if it can: step by step,
// mildest first, it drops a file's meta, then its unnamed members, then
// all but its identity; cuts long text; empties a summary's per-Step list;
// and marks the data [Base.Truncated]. An event that cannot shrink enough
// is left as small as it got. The common case, an event well under limit,
// is decided without encoding.
func (e *Event) Shrink(limit int) {
	if e.sizeBound() <= limit {
		return
	}
	var steps []func()
	if s, ok := e.Data.(shrinker); ok {
		steps = s.reducers()
	}
	for i := 0; ; i++ {
		b, err := Encode(*e)
		if err != nil || len(b) <= limit || i == len(steps) {
			return
		}
		steps[i]()
		e.Base().Truncated = true
	}
}

// sizeBound returns an upper bound of e's encoded size, or a huge value
// for data it does not know.
func (e *Event) sizeBound() int {
	b := e.Base()
	s, ok := e.Data.(shrinker)
	if b == nil || !ok {
		return int(^uint(0) >> 1)
	}
	return envelopeRoom + stringsBound(e.ID, e.Source, e.Subject, e.DataSchema,
		b.AssemblyID, b.State, b.Source, b.ParentID) + s.sizeBound()
}

func stringsBound(ss ...string) int {
	n := 0
	for _, s := range ss {
		n += escapeFactor * len(s)
	}
	return n
}

// The payloads that carry no text or files have nothing to give up.
func (*Uploading) sizeBound() int               { return 0 }
func (*Uploading) reducers() []func()           { return nil }
func (*UploadProgress) sizeBound() int          { return 0 }
func (*UploadProgress) reducers() []func()      { return nil }
func (*UploadMetaExtracted) sizeBound() int     { return 0 }
func (*UploadMetaExtracted) reducers() []func() { return nil }
func (*Executing) sizeBound() int               { return 0 }
func (*Executing) reducers() []func()           { return nil }
func (*Replaying) sizeBound() int               { return 0 }
func (*Replaying) reducers() []func()           { return nil }

func (d *UploadFinished) sizeBound() int     { return d.Upload.sizeBound() }
func (d *UploadFinished) reducers() []func() { return d.Upload.reducers() }

func (d *StepResult) sizeBound() int     { return stringsBound(d.Step) + d.Result.sizeBound() }
func (d *StepResult) reducers() []func() { return d.Result.reducers() }

func (d *ExecutionProgress) sizeBound() int {
	n := 0
	for _, p := range d.PerFile {
		n += entryRoom + stringsBound(p.OriginalID)
	}
	return n
}

func (d *ExecutionProgress) reducers() []func() { return nil }

func (d *Warning) sizeBound() int     { return stringsBound(d.Level, d.Msg) }
func (d *Warning) reducers() []func() { return textReducers(&d.Msg) }

func (d *Completed) sizeBound() int { return stringsBound(d.Message) + d.Summary.sizeBound() }
func (d *Completed) reducers() []func() {
	return append(textReducers(&d.Message), d.Summary.reducer())
}

func (d *Canceled) sizeBound() int { return stringsBound(d.Message) + d.Summary.sizeBound() }
func (d *Canceled) reducers() []func() {
	return append(textReducers(&d.Message), d.Summary.reducer())
}

func (d *Aborted) sizeBound() int { return stringsBound(d.Message) + d.Summary.sizeBound() }
func (d *Aborted) reducers() []func() {
	return append(textReducers(&d.Message), d.Summary.reducer())
}

func (d *Failed) sizeBound() int {
	n := stringsBound(d.Error, d.Message, d.Reason) + d.Summary.sizeBound() + entryRoom
	if d.SystemError != nil {
		n += stringsBound(d.SystemError.Code, d.SystemError.Syscall, d.SystemError.Path)
	}
	return n
}

func (d *Failed) reducers() []func() {
	return append(textReducers(&d.Message, &d.Reason), d.Summary.reducer())
}

func (d *WatchExpired) sizeBound() int      { return stringsBound(d.Reason, d.Detail) }
func (d *WatchExpired) reducers() []func()  { return textReducers(&d.Detail) }
func (d *WatchFailed) sizeBound() int       { return stringsBound(d.Reason, d.Detail) }
func (d *WatchFailed) reducers() []func()   { return textReducers(&d.Detail) }
func (d *WatchCanceled) sizeBound() int     { return stringsBound(d.RequestedBy, d.Detail) }
func (d *WatchCanceled) reducers() []func() { return textReducers(&d.RequestedBy, &d.Detail) }

func (f *File) sizeBound() int {
	n := fileRoom + len(f.Meta) + stringsBound(f.ID, f.Name, f.Basename, f.Ext, f.Mime, f.Type, f.Field,
		f.MD5Hash, f.OriginalID, f.OriginalBasename, f.OriginalName, f.OriginalPath, f.OriginalMD5Hash,
		f.TusUploadURL, f.URL, f.SSLURL)
	for k, v := range f.Extra {
		n += stringsBound(k) + len(v) + 8
	}
	return n
}

// reducers drops a file's meta, then its unnamed members, then all but
// its basic members, then all but its ID. Meta and Extra may be shared
// with the upstream model, so they are replaced, never modified.
func (f *File) reducers() []func() {
	return []func(){
		func() {
			f.Meta = nil
			if _, ok := f.Extra["meta"]; ok {
				extra := make(map[string]json.RawMessage, len(f.Extra))
				for k, v := range f.Extra {
					if k != "meta" {
						extra[k] = v
					}
				}
				f.Extra = extra
			}
		},
		func() { f.Extra = nil },
		func() {
			*f = File{ID: f.ID, Name: f.Name, Ext: f.Ext, Size: f.Size, Mime: f.Mime,
				Type: f.Type, Field: f.Field, OriginalID: f.OriginalID}
		},
		func() { *f = File{ID: f.ID} },
	}
}

func (s *Summary) sizeBound() int {
	n := entryRoom * 2
	for _, st := range s.Steps {
		n += entryRoom + stringsBound(st.Name)
	}
	return n
}

func (s *Summary) reducer() func() {
	return func() { s.Steps = []StepSummary{} }
}

func textReducers(texts ...*string) []func() {
	cut := func(limit int) func() {
		return func() {
			for _, s := range texts {
				*s = cutText(*s, limit)
			}
		}
	}
	return []func(){cut(textLong), cut(textShort)}
}

// cutText shortens s to at most limit bytes without splitting a rune.
func cutText(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	for limit > 0 && !utf8.RuneStart(s[limit]) {
		limit--
	}
	return s[:limit]
}
