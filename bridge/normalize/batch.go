package normalize

import (
	"time"

	"github.com/tlbridge/tlbridge/schemas"
)

// batch collects the events of one observation.
type batch struct {
	n      *Normalizer
	at     time.Time
	source string
	// state is the terminal event's data.state: the ok of the status
	// that ended the Assembly, or the state known when the bridge gave
	// up. Other events carry the state of their moment.
	state  string
	events []schemas.Event
}

// emit appends an event; key is its idempotency key after "<assembly id>/".
func (b *batch) emit(t schemas.Type, key, step string, data schemas.Payload) {
	n := b.n
	base := data.BaseData()
	base.AssemblyID = n.cfg.AssemblyID
	base.State = b.state
	if !t.Terminal() {
		base.State = string(n.phaseState())
	}
	base.Source = b.source
	base.ObservedAt = b.at
	base.ParentID = n.parentID
	ev := schemas.NewEvent(t, n.cfg.AssemblyID+"/"+key, n.cfg.Source,
		schemas.Subject(n.cfg.Prefix, n.cfg.AssemblyID, t, step), b.at, data)
	n.fit(&ev)
	b.events = append(b.events, ev)
}

// fit shrinks ev until it fits MaxPayload with its headers (see
// [schemas.Event.Shrink]). An event that cannot shrink enough is left as
// small as it got; publishing it will fail and say why.
func (n *Normalizer) fit(ev *schemas.Event) {
	ev.Shrink(n.cfg.MaxPayload - len(ev.ID) - headerRoom)
}
