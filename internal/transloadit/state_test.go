package transloadit

import (
	"testing"
)

func TestOutcome(t *testing.T) {
	errno := int64(-2)
	tests := []struct {
		name     string
		in       Status
		want     Outcome
		terminal bool
	}{
		{"uploading", Status{OK: StateUploading}, OutcomeRunning, false},
		{"executing", Status{OK: StateExecuting}, OutcomeRunning, false},
		{"replaying", Status{OK: StateReplaying}, OutcomeRunning, false},
		{"completed", Status{OK: StateCompleted}, OutcomeCompleted, true},
		{"canceled", Status{OK: StateCanceled}, OutcomeCanceled, true},
		{"aborted", Status{OK: StateAborted}, OutcomeAborted, true},
		{"unknown ok is terminal", Status{OK: "ASSEMBLY_SOMETHING_NEW"}, OutcomeFailed, true},
		{"neither ok nor error", Status{}, OutcomeFailed, true},
		{"error with ok absent", Status{Error: CodeExpired}, OutcomeFailed, true},
		{"error beats a running ok", Status{OK: StateExecuting, Error: CodeInternalCommandErr}, OutcomeFailed, true},
		{"error beats a success ok", Status{OK: StateCanceled, Error: CodeInvalidFormData}, OutcomeFailed, true},
		{"unknown error code", Status{Error: "SOME_FUTURE_ERROR"}, OutcomeFailed, true},
		{"status rate limit", Status{Error: CodeStatusRateLimit}, OutcomeRateLimited, false},
		{"rate limit", Status{Error: CodeRateLimit}, OutcomeRateLimited, false},
		{"proxy 429", Status{Error: CodeProxyTooManyRequest}, OutcomeRateLimited, false},
		{"rate limit beats ok", Status{OK: StateExecuting, Error: CodeStatusRateLimit}, OutcomeRateLimited, false},
		{"system error", Status{Errno: &errno, Code: "ENOENT", Syscall: "open"}, OutcomeFailed, true},
		{"system error beats a running ok", Status{OK: StateExecuting, Errno: &errno, Code: "ENOENT", Syscall: "open"}, OutcomeFailed, true},
		{"partial system error is not one", Status{OK: StateExecuting, Code: "ENOENT"}, OutcomeRunning, false},
		{"not found", Status{Error: CodeNotFound}, OutcomeFailed, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.Outcome(); got != tt.want {
				t.Errorf("Outcome(%+v) = %v; want %v", tt.in, got, tt.want)
			}
			if got := tt.in.Terminal(); got != tt.terminal {
				t.Errorf("Terminal(%+v) = %v; want %v", tt.in, got, tt.terminal)
			}
		})
	}
}

func TestStateRunning(t *testing.T) {
	for s, want := range map[State]bool{
		StateUploading: true, StateExecuting: true, StateReplaying: true,
		StateCompleted: false, StateCanceled: false, StateAborted: false, "": false, "ASSEMBLY_X": false,
	} {
		if got := s.Running(); got != want {
			t.Errorf("State(%q).Running() = %v; want %v", s, got, want)
		}
	}
}

func TestOutcomeString(t *testing.T) {
	for o, want := range map[Outcome]string{
		OutcomeRunning: "running", OutcomeRateLimited: "rate_limited", OutcomeCompleted: "completed",
		OutcomeCanceled: "canceled", OutcomeAborted: "aborted", OutcomeFailed: "failed",
	} {
		if got := o.String(); got != want {
			t.Errorf("Outcome(%d).String() = %q; want %q", int(o), got, want)
		}
	}
}

func TestCodes(t *testing.T) {
	for code, want := range map[string][2]bool{ // {rate limit, not found}
		CodeStatusRateLimit: {true, false}, CodeRateLimit: {true, false}, CodeProxyTooManyRequest: {true, false},
		CodeNotFound: {false, true}, CodeStatusNotFound: {false, true},
		CodeExpired: {false, false}, "": {false, false},
	} {
		if got := [2]bool{IsRateLimitCode(code), IsNotFoundCode(code)}; got != want {
			t.Errorf("IsRateLimitCode/IsNotFoundCode(%q) = %v; want %v", code, got, want)
		}
	}
}
