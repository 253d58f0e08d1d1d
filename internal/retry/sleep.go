package retry

import (
	"context"
	"time"
)

// Sleep waits d on c. It returns false early when ctx ends first, and at
// once, reporting whether ctx is still live, when d is not positive.
func Sleep(ctx context.Context, c Clock, d time.Duration) bool {
	return SleepOrStop(ctx, c, d, nil)
}

// SleepOrStop is Sleep that also returns false when stop is closed, for
// components whose Close must cut their waits short. A nil stop never
// fires.
func SleepOrStop(ctx context.Context, c Clock, d time.Duration, stop <-chan struct{}) bool {
	if d <= 0 {
		select {
		case <-ctx.Done():
			return false
		case <-stop:
			return false
		default:
			return true
		}
	}
	t := c.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-stop:
		return false
	case <-t.C():
		return true
	}
}
