package transloadit

import (
	"testing"
	"time"
)

func TestLatestTime(t *testing.T) {
	tests := []struct {
		name   string
		st     Status
		want   time.Time
		wantOK bool
	}{
		{"none", Status{}, time.Time{}, false},
		{"garbage", Status{StartDate: "yesterday"}, time.Time{}, false},
		{"start only", Status{StartDate: "2024/05/01 10:00:00 GMT"}, time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), true},
		{"last job wins", Status{StartDate: "2024/05/01 10:00:00 GMT", ExecutionStart: "2024-05-01T10:00:05.000Z",
			LastJobCompleted: "2024/05/01 10:01:00 GMT"}, time.Date(2024, 5, 1, 10, 1, 0, 0, time.UTC), true},
		{"iso execution start", Status{StartDate: "2024/05/01 10:00:00 GMT", ExecutionStart: "2024-05-01T10:00:05.500Z"},
			time.Date(2024, 5, 1, 10, 0, 5, 5e8, time.UTC), true},
	}
	for _, tt := range tests {
		got, ok := tt.st.LatestTime()
		if !got.Equal(tt.want) || ok != tt.wantOK {
			t.Errorf("%s: LatestTime() = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
}
