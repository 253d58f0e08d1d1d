package poller

import "time"

// The Poller's entries are kept so that a new Assembly costs O(1)
// amortized however many are tracked: forgotten entries wait in a queue
// in the order they were forgotten, and all entries are in a list from
// least to most recently used, so neither dropping the forgotten nor
// evicting at the bound walks every entry.

// entryLinks place an entry in the Poller's lists; guarded by Poller.mu.
type entryLinks struct {
	id         string
	prev, next *entry // in the least-recently-used list
	queued     bool   // in the forgotten queue
}

// sweepBudget bounds how many forgotten entries still guarding the limit
// one sweep moves to the back of the queue, so that one long request
// does not hold up those forgotten after it.
const sweepBudget = 4

// addLocked makes and tracks id's entry, as the most recently used.
// p.mu must be held.
func (p *Poller) addLocked(id string) *entry {
	e := &entry{}
	e.id = id
	p.entries[id] = e
	p.pushBackLocked(e)
	return e
}

// touchLocked marks e as the most recently used. p.mu must be held.
func (p *Poller) touchLocked(e *entry) {
	if p.entries[e.id] != e {
		return // already dropped
	}
	p.unlinkLocked(e)
	p.pushBackLocked(e)
}

// dropLocked stops tracking e. p.mu must be held.
func (p *Poller) dropLocked(e *entry) {
	delete(p.entries, e.id)
	p.unlinkLocked(e)
	if e.forgotten {
		e.forgotten = false
		p.nForgotten--
	}
}

// forgetLocked marks e forgotten and queues it to be dropped once quiet.
// p.mu must be held.
func (p *Poller) forgetLocked(e *entry) {
	e.forgotten = true
	p.nForgotten++
	if !e.queued {
		e.queued = true
		p.forgotten = append(p.forgotten, e)
	}
}

// sweepLocked drops forgotten entries whose history no longer matters,
// oldest first; at the bound it also drops the least recently used idle
// entry, whose only loss is which host worked. p.mu must be held.
func (p *Poller) sweepLocked() {
	now := p.clock.Now()
	for budget := sweepBudget; len(p.forgotten) > 0 && budget > 0; {
		e := p.forgotten[0]
		p.forgotten[0] = nil
		p.forgotten = p.forgotten[1:]
		e.queued = false
		switch {
		case !e.forgotten || p.entries[e.id] != e:
			// used again, or dropped: nothing to do
		case idle(e, now):
			p.dropLocked(e)
		default:
			e.queued = true
			p.forgotten = append(p.forgotten, e)
			budget--
		}
	}
	if len(p.entries) < p.cfg.MaxTracked {
		return
	}
	for e := p.lru; e != nil; e = e.next {
		if idle(e, now) {
			p.dropLocked(e)
			return
		}
	}
}

// idle reports whether e's state no longer guards anything.
func idle(e *entry, now time.Time) bool {
	return e.flight == nil && e.hist.quiet(now)
}

func (p *Poller) pushBackLocked(e *entry) {
	e.prev, e.next = p.mru, nil
	if p.mru != nil {
		p.mru.next = e
	} else {
		p.lru = e
	}
	p.mru = e
}

func (p *Poller) unlinkLocked(e *entry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else if p.lru == e {
		p.lru = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else if p.mru == e {
		p.mru = e.prev
	}
	e.prev, e.next = nil, nil
}
