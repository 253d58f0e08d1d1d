package transloadittest

import "errors"

// Sentinel errors of the simulator's Go API.
var (
	// ErrNotFound: no Assembly with that ID (never created, or evicted).
	ErrNotFound = errors.New("transloadittest: assembly not found")
	// ErrFinished: the Assembly already reached a terminal state, so it
	// cannot be canceled.
	ErrFinished = errors.New("transloadittest: assembly already finished")
	// ErrClosed: the Server was closed.
	ErrClosed = errors.New("transloadittest: server closed")
	// ErrInvalidScript: a Script (or the params of POST /assemblies) that
	// the simulator cannot run, e.g. a Step using an unknown Step.
	ErrInvalidScript = errors.New("transloadittest: invalid script")
	// ErrTooManyAssemblies: the Server holds its maximum of running
	// Assemblies (see WithMaxAssemblies).
	ErrTooManyAssemblies = errors.New("transloadittest: too many assemblies")
	// ErrDuplicateID: an Assembly with that ID exists already.
	ErrDuplicateID = errors.New("transloadittest: assembly id in use")
)
