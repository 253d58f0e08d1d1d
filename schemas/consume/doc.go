// Package consume is the client side of tlbridge for Go services: it asks
// the bridge to watch Assemblies and reads their events from JetStream,
// without the caller spelling a subject or a consumer configuration.
//
//   - [Watch] asks the bridge to watch an Assembly and returns its reply.
//   - [Follow] iterates over one Assembly's events, from the start of the
//     stream, and ends after its terminal event.
//   - [Events] iterates over the events a [Filter] selects, for tools that
//     show the stream (tlbridge tail).
//   - [Consume] runs a durable consumer that calls typed [Handlers]: an
//     event is acknowledged when its handler returns nil, redelivered with
//     backoff when it returns an error, and dropped for good when it is not
//     a v1 event.
//
// Events of one Assembly arrive in the order the bridge published them, and
// each event's ID is an idempotency key: a handler that records the IDs it
// handled can ignore redeliveries. Subjects and the stream name follow the
// bridge's defaults ([schemas.DefaultPrefix], [DefaultStream]); [WithPrefix]
// and [WithStream] follow a bridge configured otherwise.
//
// Package schemas, which defines the events, depends on the standard
// library only; this package adds NATS.
package consume
