package consume

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/tlbridge/tlbridge/schemas"
)

// Requester sends a NATS request; *nats.Conn is one.
type Requester interface {
	RequestWithContext(ctx context.Context, subj string, data []byte) (*nats.Msg, error)
}

var _ Requester = (*nats.Conn)(nil)

// Watch asks the bridge to watch the Assembly of req and returns its
// reply. Watching an Assembly twice is harmless: the bridge answers the
// same and runs one watch. A refusal returns the reply together with a
// *[WatchError] (errors.Is [ErrWatchRefused]); no bridge listening returns
// [ErrNoBridge]. Without a deadline on ctx the request gives up after
// [DefaultRequestTimeout]. Options: [WithPrefix].
func Watch(ctx context.Context, nc Requester, req schemas.WatchRequest, opts ...Option) (schemas.WatchReply, error) {
	s := newSettings(opts)
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultRequestTimeout)
		defer cancel()
	}
	body, err := json.Marshal(req)
	if err != nil {
		return schemas.WatchReply{}, fmt.Errorf("watch: %w", err)
	}
	msg, err := nc.RequestWithContext(ctx, schemas.WatchSubject(s.prefix), body)
	if errors.Is(err, nats.ErrNoResponders) {
		return schemas.WatchReply{}, fmt.Errorf("watch %s: %w on %s", req.AssemblyID, ErrNoBridge, schemas.WatchSubject(s.prefix))
	}
	if err != nil {
		return schemas.WatchReply{}, fmt.Errorf("watch %s: %w", req.AssemblyID, err)
	}
	return decodeReply(msg.Data)
}

func decodeReply(data []byte) (schemas.WatchReply, error) {
	var reply schemas.WatchReply
	if err := json.Unmarshal(data, &reply); err != nil {
		return reply, fmt.Errorf("%w: %v", ErrBadReply, err)
	}
	if !reply.OK {
		if reply.Error == "" {
			return reply, fmt.Errorf("%w: neither ok nor an error code", ErrBadReply)
		}
		return reply, &WatchError{Code: reply.Error, Message: reply.Message}
	}
	return reply, nil
}
