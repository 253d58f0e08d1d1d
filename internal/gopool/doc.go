// Package gopool runs short tasks on goroutines that wait a while for the
// next task before they exit.
//
// A task that would otherwise get a goroutine of its own gets one whose
// stack has grown already: a new goroutine starts with a small stack and
// copies it each time it doubles, which a task that handles one event and
// returns pays every time. A pool sized by demand keeps the goroutines
// that are busy at the same time, and lets the rest go.
package gopool
