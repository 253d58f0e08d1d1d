package bridge

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
)

// IntakeQueue is the queue group of the watch intake: each request goes to
// one replica.
const IntakeQueue = "tlbridge"

// maxWatchRequest bounds a watch request's body.
const maxWatchRequest = 64 << 10

// IntakeSubject returns the subject watch requests arrive on.
func IntakeSubject(prefix string) string { return prefix + ".v1.watch" }

// ServeNATSIntake answers watch requests on "<prefix>.v1.watch" in queue
// group "tlbridge". The caller owns the subscription and must Unsubscribe
// or Drain it before Manager.Shutdown.
func ServeNATSIntake(nc *nats.Conn, prefix string, m *Manager, logger *zap.Logger) (*nats.Subscription, error) {
	if logger == nil {
		logger = zap.NewNop()
	}
	return nc.QueueSubscribe(IntakeSubject(prefix), IntakeQueue, func(msg *nats.Msg) {
		reply := handleWatchRequest(m, msg.Data)
		b, _ := json.Marshal(reply)
		if msg.Reply == "" {
			return
		}
		if err := msg.Respond(b); err != nil {
			logger.Warn("watch reply failed", zap.Error(err))
		}
	})
}

func handleWatchRequest(m *Manager, data []byte) WatchReply {
	req, err := DecodeWatchRequest(data)
	if err != nil {
		return ErrorReply(err)
	}
	reply, _ := m.Watch(context.Background(), req)
	return reply
}

// DecodeWatchRequest parses a watch request strictly: a bounded size, a
// JSON object, no unknown fields. Errors are INVALID_REQUEST *WatchErrors.
func DecodeWatchRequest(data []byte) (WatchRequest, error) {
	var req WatchRequest
	if len(data) > maxWatchRequest {
		return req, &WatchError{CodeInvalidRequest, "request larger than 64 KiB"}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, &WatchError{CodeInvalidRequest, "malformed request: " + err.Error()}
	}
	if dec.More() {
		return req, &WatchError{CodeInvalidRequest, "trailing data after the request object"}
	}
	return req, nil
}
