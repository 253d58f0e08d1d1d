package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
)

// ids names the Assemblies and results of one phase. Both kinds of ID are
// 32 lower-case hex characters like upstream's; a per-phase random prefix
// lets the subscriber find a result's indexes in any payload that carries
// its ID (a bridge event, a raw frame, a status item) without a lookup
// table, and keeps phases from matching each other's leftovers.
type ids struct {
	asmPrefix string // 16 hex characters
	resPrefix string // 16 hex characters
}

func newIDs() ids {
	var b [16]byte
	_, _ = rand.Read(b[:])
	// Setting the top bit of one and clearing it in the other keeps the
	// prefixes distinct.
	b[0] |= 0x80
	b[8] &^= 0x80
	return ids{asmPrefix: hex.EncodeToString(b[:8]), resPrefix: hex.EncodeToString(b[8:])}
}

func (x ids) assembly(i int) string { return fmt.Sprintf("%s%016x", x.asmPrefix, i) }

func (x ids) result(asm, res int) string {
	return fmt.Sprintf("%s%08x%08x", x.resPrefix, asm, res)
}

// parseAssembly returns the index of an Assembly ID of this phase.
func (x ids) parseAssembly(id string) (int, bool) {
	if len(id) != 32 || id[:16] != x.asmPrefix {
		return 0, false
	}
	n, err := strconv.ParseUint(id[16:], 16, 31)
	return int(n), err == nil
}

// findResult returns the indexes of the first result ID of this phase in b.
func (x ids) findResult(b []byte) (asm, res int, ok bool) {
	i := bytes.Index(b, []byte(x.resPrefix))
	if i < 0 || len(b) < i+32 {
		return 0, 0, false
	}
	tail := string(b[i+16 : i+32])
	a, err1 := strconv.ParseUint(tail[:8], 16, 31)
	r, err2 := strconv.ParseUint(tail[8:], 16, 31)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return int(a), int(r), true
}
