// Package stream reads a Transloadit Assembly's update stream (its
// update_stream_url, Server-Sent Events) and hands out typed updates.
//
// The upstream mixes payload-less messages ("data: assembly_finished") and
// events with a JSON payload ("event: assembly_result_finished" plus one
// "data:" line). [ParseFrame] turns one frame into an [Update]; [Client]
// connects, reconnects and delivers updates to a handler.
//
// Guarantees of [Client.Run]:
//
//   - Updates arrive in stream order, on the caller's goroutine, one at a
//     time. Nothing is dropped silently: unknown messages and events arrive
//     as KindUnknown with Name and Raw; a known event whose payload does
//     not decode arrives as KindUnknown with Err set (assembly_error keeps
//     its kind). Frames that carry only an id: or retry: field, and
//     comments, are protocol and are not delivered.
//   - A known Kind always comes with its payload field set.
//   - Run returns nil only when the stream ended after assembly_finished or
//     assembly_error; a stream closed earlier, broken, or silent for
//     Config.IdleTimeout (no byte at all; comments count) is reconnected
//     with jittered exponential backoff that has no total-time cap.
//     Config.OnConnect and Config.OnDisconnect bracket every connection, so
//     a caller can poll while the stream is down.
//   - Only an update stream URL of the shape Transloadit issues, on the
//     allow list, is connected to (redirects included), and the resolved
//     address is checked at dial time (internal/dialguard).
//   - Refusals that retrying cannot change (4xx other than 408/429, 204,
//     an address refused at dial time) end Run after one attempt; an event
//     larger than Config.MaxEventSize (default 2 MiB) ends Run without a
//     reconnect (which would only replay the stream up to the same event).
//   - The SSE id (upstream: the Assembly ID, stamped on every frame) is
//     neither exposed nor sent back as Last-Event-ID, and updates are not
//     deduplicated: after a reconnect the server may repeat some, so
//     consumers dedupe uploads by ID and results by step and ID.
//   - Cancelling the context ends Run promptly, during backoff and during
//     an open stream alike, with ctx.Err(); no goroutine outlives Run.
//
// The package reads frames with github.com/r3labs/sse/v2's
// EventStreamReader, driven from the goroutine that called Run. The
// library's client is not used: its read loop would cost a goroutine and a
// hand-off per stream, and its known defects (a reconnect budget that
// expires after 15 minutes, backoff sleeps that ignore cancellation,
// retries on every non-200 answer, Last-Event-ID echo, shared-state races)
// cannot apply.
package stream
