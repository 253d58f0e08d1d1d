package bridge

import (
	"context"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/tlbridge/tlbridge/internal/strictjson"
	"github.com/tlbridge/tlbridge/schemas"
)

// IntakeQueue is the queue group of the watch intake: each request goes to
// one replica.
const IntakeQueue = schemas.WatchQueue

// maxWatchRequest bounds a watch request's body.
const maxWatchRequest = 64 << 10

// ServeNATSIntake answers watch requests on [schemas.WatchSubject] in
// queue group [IntakeQueue], up to [MaxConcurrentRequests] at once.
// Requests are handled under ctx: once it ends they are refused. The
// caller owns the Intake and must Drain or Close it before
// Manager.Shutdown.
func ServeNATSIntake(ctx context.Context, nc *nats.Conn, prefix string, m *Manager, logger *zap.Logger) (*Intake, error) {
	if logger == nil {
		logger = zap.NewNop()
	}
	return serveRequests(nc, schemas.WatchSubject(prefix), IntakeQueue, MaxConcurrentRequests, logger, func(data []byte) []byte {
		b, _ := encodeReply(handleWatchRequest(ctx, m, data))
		return b
	})
}

func handleWatchRequest(ctx context.Context, m *Manager, data []byte) WatchReply {
	req, err := DecodeWatchRequest(data)
	if err != nil {
		return ErrorReply(err)
	}
	reply, _ := m.Watch(ctx, req)
	return reply
}

// DecodeWatchRequest parses a watch request strictly: a bounded size, a
// JSON object, no unknown fields. Errors are INVALID_REQUEST *WatchErrors.
func DecodeWatchRequest(data []byte) (WatchRequest, error) {
	var req WatchRequest
	if len(data) > maxWatchRequest {
		return req, &WatchError{CodeTooLarge, "request larger than 64 KiB"}
	}
	// Member names match exactly and once: {"Assembly_ID": ...} or a
	// repeated key could make two readers of one request disagree.
	if err := strictjson.Decode(data, &req); err != nil {
		return WatchRequest{}, &WatchError{CodeInvalidRequest, "malformed request: " + err.Error()}
	}
	return req, nil
}
