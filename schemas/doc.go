// Package schemas is tlbridge's contract with the services that consume its
// events: the v1 event catalogue as Go types, the CloudEvents 1.0 envelope
// with [Encode] and [Decode], the NATS subjects events are published on, and
// a JSON Schema (draft 2020-12) per event type.
//
// A consumer decodes a message and switches on the typed payload:
//
//	ev, err := schemas.Decode(msg.Data)
//	if err != nil { ... }
//	switch d := ev.Data.(type) {
//	case *schemas.StepResult:
//		// d.Step, d.Result.SSLURL, ...
//	case *schemas.Completed:
//		// d.Summary.Steps, ...
//	}
//
// Event IDs are idempotency keys: the same upstream fact always yields the
// same ID, so a consumer that stores the IDs it handled can drop redeliveries,
// and JetStream drops republished events inside its duplicate window.
//
// Compatibility: within v1, changes are additive only. New optional fields
// and new event types may appear; no field changes meaning or type and none
// is removed. Consumers must ignore fields and event types they do not know;
// [Decode] hands an unknown v1 event type back with its data as
// [encoding/json.RawMessage] rather than failing. A breaking change becomes v2,
// published on v2 subjects beside v1 for a deprecation period.
//
// This package depends on the standard library only (and on a JSON
// scanner internal to this module that does too).
package schemas
