package bridge

// Outcome is how a watch ended, as reported by [Manager.Wait] and
// [ManagerConfig.OnWatchEnd].
type Outcome string

// Outcomes of a watch. The first four are the Assembly's own end; the
// others are the bridge's.
const (
	OutcomeCompleted   Outcome = "completed"
	OutcomeFailed      Outcome = "failed"
	OutcomeCanceled    Outcome = "canceled"
	OutcomeAborted     Outcome = "aborted"
	OutcomeExpired     Outcome = "expired"
	OutcomeWatchFailed Outcome = "watch_failed"
	OutcomeStopped     Outcome = "stopped"
	// OutcomeWatchCanceled: the watch was canceled on request
	// ([Manager.Cancel]); watch.canceled was published.
	OutcomeWatchCanceled Outcome = "watch_canceled"
)

// EndedUpstream reports whether o means the Assembly itself reached a
// terminal state, rather than that the bridge stopped watching it.
func (o Outcome) EndedUpstream() bool {
	switch o {
	case OutcomeCompleted, OutcomeFailed, OutcomeCanceled, OutcomeAborted:
		return true
	}
	return false
}
