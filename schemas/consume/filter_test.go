package consume

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/schemas"
)

func TestFilterSubjects(t *testing.T) {
	const id = "0123456789abcdef0123456789abcdef"
	tests := []struct {
		name string
		in   Filter
		want []string
	}{
		{"everything", Filter{}, []string{"p.v1.assemblies.*.>"}},
		{"one assembly", Filter{AssemblyID: id}, []string{"p.v1.assemblies." + id + ".>"}},
		{"types", Filter{Events: []schemas.Type{schemas.TypeCompleted, schemas.TypeUploadFinished, schemas.TypeCompleted}},
			[]string{"p.v1.assemblies.*.completed", "p.v1.assemblies.*.upload.finished"}},
		{"all step results", Filter{Events: []schemas.Type{schemas.TypeStepResult}}, []string{"p.v1.assemblies.*.steps.*.result"}},
		{"steps alone", Filter{Steps: []string{"thumbs", "a.b"}},
			[]string{"p.v1.assemblies.*.steps.thumbs.result", "p.v1.assemblies.*.steps.a%2Eb.result"}},
		{"steps add step results to types", Filter{AssemblyID: id, Events: []schemas.Type{schemas.TypeFailed}, Steps: []string{"thumbs"}},
			[]string{"p.v1.assemblies." + id + ".failed", "p.v1.assemblies." + id + ".steps.thumbs.result"}},
	}
	// A step name too long for a token is filtered under the hashed token
	// its results are published on.
	long := strings.Repeat("a", 200)
	tests = append(tests, struct {
		name string
		in   Filter
		want []string
	}{"long step", Filter{AssemblyID: id, Steps: []string{long}},
		[]string{schemas.Subject("p", id, schemas.TypeStepResult, long)}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.subjects("p")
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("%+v.subjects() = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestFilterUnknownType(t *testing.T) {
	_, err := Filter{Events: []schemas.Type{"thumbs.done"}}.subjects("p")
	if !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("subjects() error = %v; want ErrInvalidOptions", err)
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		delivered uint64
		want      time.Duration
	}{{0, time.Second}, {1, time.Second}, {2, 2 * time.Second}, {4, 8 * time.Second}, {7, 30 * time.Second}, {1000, 30 * time.Second}}
	for _, tt := range tests {
		if got := backoff(time.Second, 30*time.Second, tt.delivered); got != tt.want {
			t.Errorf("backoff(1s, 30s, %d) = %v; want %v", tt.delivered, got, tt.want)
		}
	}
}
