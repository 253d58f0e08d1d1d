package transloadit

import "time"

// dateLayouts are the forms upstream writes dates in: "2006/01/02
// 15:04:05 GMT" mostly, ISO-8601 for execution_start at times.
var dateLayouts = []string{"2006/01/02 15:04:05 MST", time.RFC3339Nano}

// ParseDate reads one of upstream's date fields; ok is false when the
// value is empty or in no known form.
func ParseDate(v string) (t time.Time, ok bool) {
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// LatestTime returns the newest of the Assembly's own dates (start_date,
// execution_start, last_job_completed): when it was last seen to move.
// ok is false when none can be read.
func (s *Status) LatestTime() (latest time.Time, ok bool) {
	for _, v := range []string{s.StartDate, s.ExecutionStart, s.LastJobCompleted} {
		if t, found := ParseDate(v); found && t.After(latest) {
			latest, ok = t, true
		}
	}
	return latest, ok
}
