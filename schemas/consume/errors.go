package consume

import "errors"

// Sentinel errors of this package; errors returned wrap one of them, or
// an error of NATS or of package schemas.
var (
	// ErrInvalidOptions: options or a filter that cannot select anything
	// valid (an unknown event type, no handler, a missing durable name).
	ErrInvalidOptions = errors.New("consume: invalid options")
	// ErrWatchRefused: the bridge answered a watch request with an error;
	// the error is a *[WatchError] carrying the code.
	ErrWatchRefused = errors.New("consume: watch refused")
	// ErrNoBridge: no bridge listens on the watch subject.
	ErrNoBridge = errors.New("consume: no bridge answers watch requests")
	// ErrBadReply: the bridge's reply is not a watch reply.
	ErrBadReply = errors.New("consume: malformed watch reply")
)

// WatchError is a watch request the bridge refused. Code is one of the
// schemas.Watch… codes (e.g. [schemas.WatchInvalidAssemblyID]).
type WatchError struct {
	Code    string
	Message string
}

func (e *WatchError) Error() string {
	return "consume: watch refused: " + e.Code + ": " + e.Message
}

// Is makes errors.Is(err, ErrWatchRefused) true for every WatchError.
func (e *WatchError) Is(target error) bool { return target == ErrWatchRefused }
