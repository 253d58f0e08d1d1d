package bridge

import "github.com/tlbridge/tlbridge/internal/transloadit"

// HeartbeatChecks is heartbeatChecks, for the tests that count goroutines.
const HeartbeatChecks = heartbeatChecks

// OnStatus has f see each status a worker of m hands its normalizer. Set
// it before the first watch starts.
func OnStatus(m *Manager, f func(st *transloadit.Status)) { m.env.onStatus = f }

// BeforeCancelDrops has f run when a cancel that no replica answered is
// about to drop the queued request. Set it once durable watches started.
func BeforeCancelDrops(m *Manager, f func()) { m.dur.Load().beforeDrop = f }
