// Package bridge turns the progress of Transloadit Assemblies into
// versioned events on NATS.
//
// A [Manager] owns one worker per watched Assembly. A worker connects the
// Assembly's update stream first and fetches the status once it is
// connected, so nothing falls between the two (without a stream URL in the
// request it fetches first, for the URL in the status). While the stream
// is down it polls the status endpoint (rate-limited by the poller), and
// before any terminal event it fetches the status again, so results the
// stream missed are still emitted. While the stream stays up that is two
// status requests per Assembly, three when uploads came without their
// meta before upstream's metadata notice, plus a safety-net poll every
// ten poll intervals. A [normalize.Normalizer] turns what the
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
//     Publish; its update stream reads ahead events holding at most
//     [ManagerConfig.ReadAhead] bytes, and all streams together at most
//     [ManagerConfig.ReadAheadTotal], and then stop reading, so TCP pushes
//     back on the upstream; the status fetched after an outage carries
//     whatever happened meanwhile. Nothing is dropped and memory stays
//     bounded.
//   - Shutdown refuses new watches, stops the workers and lets in-flight
//     publishes finish within the caller's deadline.
//
// With durable watches ([ManagerConfig.Durable]) a watch is kept in
// JetStream rather than in a Manager, and these hold across replicas:
//   - One worker per Assembly in the cluster: requests go to a work queue
//     holding one message per Assembly, which replicas pull from a shared
//     durable consumer while they have room.
//   - A watch outlives its replica: Shutdown hands the running watches
//     back at once; a replica that dies stops heartbeating and its watches
//     come back after the consumer's AckWait.
//   - No event is published twice across a takeover: after each
//     acknowledged batch the worker checkpoints what it published, and
//     the next worker starts from there, however long after the stream's
//     duplicate window. Events published after the last checkpoint are
//     repeated with their stable IDs.
//   - A finished Assembly is remembered: watching it again, or a late
//     notification, publishes nothing; a replay publishes on purpose,
//     under new event IDs.
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
