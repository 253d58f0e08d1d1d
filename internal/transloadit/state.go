package transloadit

// State is the value of a status's "ok" member.
type State string

// The ok values of an Assembly. Only the first three mean "still running";
// every other ok value, known or not, is terminal.
const (
	StateUploading State = "ASSEMBLY_UPLOADING"
	StateExecuting State = "ASSEMBLY_EXECUTING"
	StateReplaying State = "ASSEMBLY_REPLAYING"
	StateCompleted State = "ASSEMBLY_COMPLETED"
	StateCanceled  State = "ASSEMBLY_CANCELED"
	StateAborted   State = "REQUEST_ABORTED"
)

// Running reports whether an Assembly in state s is still uploading,
// executing or replaying.
func (s State) Running() bool {
	return s == StateUploading || s == StateExecuting || s == StateReplaying
}

// Outcome is what a status says about the Assembly, decided on the body
// alone (never on the HTTP code).
type Outcome int

// The outcomes of a status body.
const (
	// OutcomeRunning: the Assembly is uploading, executing or replaying.
	OutcomeRunning Outcome = iota
	// OutcomeRateLimited: the body is a rate-limit answer about the request,
	// not about the Assembly; retry later.
	OutcomeRateLimited
	// OutcomeCompleted: ASSEMBLY_COMPLETED.
	OutcomeCompleted
	// OutcomeCanceled: ASSEMBLY_CANCELED.
	OutcomeCanceled
	// OutcomeAborted: REQUEST_ABORTED.
	OutcomeAborted
	// OutcomeFailed: an error code, the system-error shape, or an ok value
	// this model does not know.
	OutcomeFailed
)

func (o Outcome) String() string {
	switch o {
	case OutcomeRunning:
		return "running"
	case OutcomeRateLimited:
		return "rate_limited"
	case OutcomeCompleted:
		return "completed"
	case OutcomeCanceled:
		return "canceled"
	case OutcomeAborted:
		return "aborted"
	default:
		return "failed"
	}
}

// Terminal reports whether the Assembly will not change any more.
func (o Outcome) Terminal() bool { return o >= OutcomeCompleted }

// Outcome applies the terminal rule: an error string is terminal except
// the two rate-limit codes; the system-error shape is terminal; the three
// running ok values are running; any other ok value is terminal, and one
// the model does not know counts as failed. A body with neither ok nor
// error is malformed and counts as failed too.
func (s *Status) Outcome() Outcome {
	if s.Error != "" {
		if IsRateLimitCode(s.Error) {
			return OutcomeRateLimited
		}
		return OutcomeFailed
	}
	if s.IsSystemError() {
		return OutcomeFailed
	}
	switch s.OK {
	case StateUploading, StateExecuting, StateReplaying:
		return OutcomeRunning
	case StateCompleted:
		return OutcomeCompleted
	case StateCanceled:
		return OutcomeCanceled
	case StateAborted:
		return OutcomeAborted
	}
	return OutcomeFailed
}

// Terminal reports whether the status is final for its Assembly.
func (s *Status) Terminal() bool { return s.Outcome().Terminal() }
