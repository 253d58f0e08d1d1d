// Package bridge turns the progress of Transloadit Assemblies into
// versioned events on NATS.
//
// A [Manager] owns one worker per watched Assembly. A worker fetches the
// status once, then follows the Assembly's update stream; while the stream
// is down it polls the status endpoint (rate-limited by the poller), and
// before any terminal event it fetches the status again, so results the
// stream missed are still emitted. A [normalize.Normalizer] turns what the
// worker observes into events; a [publish.Publisher] delivers them.
//
// Guarantees:
//   - Per Assembly, events are published in the order the normalizer
//     produced them. A worker hands the publisher each batch of events in
//     one call and waits for all of them to be acknowledged; the JetStream
//     publisher keeps several in flight and stores them in order. A failed
//     publish is retried with the same message ID, never skipped, so
//     JetStream's de-duplication drops the copies a retry or a restart may
//     produce.
//   - The terminal event (completed, failed, canceled, aborted,
//     watch.expired, watch.failed) is emitted once, and last.
//   - Backpressure: while NATS is unreachable or slow a worker waits in
//     Publish; its update stream reads at most [ManagerConfig.ReadAhead]
//     bytes ahead, and all streams together at most
//     [ManagerConfig.ReadAheadTotal], and then stop reading, so TCP pushes
//     back on the upstream; the status fetched after an outage carries
//     whatever happened meanwhile. Nothing is dropped and memory stays
//     bounded.
//   - Shutdown refuses new watches, stops the workers and lets in-flight
//     publishes finish within the caller's deadline.
package bridge

import (
	"github.com/tlbridge/tlbridge/bridge/normalize"
	"github.com/tlbridge/tlbridge/bridge/publish"
)

// Keep the doc links above resolvable.
var (
	_ normalize.Observation
	_ publish.Publisher
)
