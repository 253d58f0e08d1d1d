// Package retry is the time-and-retry kit shared by the status poller, the
// update stream and the publishers: an injectable Clock, a context-aware
// Sleep, one jittered exponential Backoff, one Retry-After parser and one
// error type for an HTTP answer that is not the one asked for.
//
// Time goes through a Clock so that tests can drive it; retrytest has a
// fake one.
package retry
