package publishtest

import "testing"

func TestSubjectMatches(t *testing.T) {
	tests := []struct {
		filter, subject string
		want            bool
	}{
		{"a.b.c", "a.b.c", true},
		{"a.b.c", "a.b", false},
		{"a.b", "a.b.c", false},
		{"a.*.c", "a.x.c", true},
		{"a.*.c", "a.x.d", false},
		{"a.>", "a.b", true},
		{"a.>", "a.b.c.d", true},
		{"a.>", "a", false},
		{">", "a", true},
		{"publishtest.v1.assemblies.*.t1.>", "publishtest.v1.assemblies.k.t1.e0", true},
		{"publishtest.v1.assemblies.*.t1.>", "publishtest.v1.assemblies.k.t2.e0", false},
	}
	for _, tt := range tests {
		if got := subjectMatches(tt.filter, tt.subject); got != tt.want {
			t.Errorf("subjectMatches(%q, %q) = %v; want %v", tt.filter, tt.subject, got, tt.want)
		}
	}
}
