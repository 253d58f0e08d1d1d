package schemas

import "errors"

// Sentinel errors of this package; errors returned wrap one of them.
var (
	// ErrInvalidEvent: an envelope that is not a CloudEvents 1.0 event of
	// this catalogue (missing id, source or type, wrong specversion, a type
	// of another producer or version, data that does not decode).
	ErrInvalidEvent = errors.New("schemas: invalid event")
	// ErrInvalidSubject: a subject that is not one of this catalogue's.
	ErrInvalidSubject = errors.New("schemas: invalid subject")
	// ErrInvalidToken: a subject token that EscapeToken cannot have produced.
	ErrInvalidToken = errors.New("schemas: invalid subject token")
)
