package bridge

// HeartbeatChecks is heartbeatChecks, for the tests that count goroutines.
const HeartbeatChecks = heartbeatChecks
