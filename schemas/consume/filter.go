package consume

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tlbridge/tlbridge/schemas"
)

// Filter selects events; its zero value selects every event of every
// Assembly. The fields narrow the selection together.
type Filter struct {
	// AssemblyID, if set, selects one Assembly's events.
	AssemblyID string
	// Events, if set, selects these event types. They must be v1 types this
	// package knows (schemas.Type.Known).
	Events []schemas.Type
	// Steps, if set, selects the step.result events of these Steps (and
	// adds step.result to Events when Events is set without it).
	Steps []string
}

// subjects returns the subject filters of f under prefix: one per event
// type, since JetStream filters must not overlap.
func (f Filter) subjects(prefix string) ([]string, error) {
	base := strings.TrimSuffix(schemas.AllSubjects(prefix), ">") + "*"
	if f.AssemblyID != "" {
		base = schemas.AssemblySubject(prefix, f.AssemblyID)
	}
	types, err := f.types()
	if err != nil || len(types) == 0 {
		return []string{base + ".>"}, err
	}
	var out []string
	for _, t := range types {
		switch {
		case t != schemas.TypeStepResult:
			out = append(out, base+"."+string(t))
		case len(f.Steps) == 0:
			out = append(out, base+".steps.*.result")
		default:
			for _, step := range dedupe(f.Steps) {
				// The token the bridge publishes under, hashed when long.
				out = append(out, base+".steps."+schemas.StepToken(step)+".result")
			}
		}
	}
	return out, nil
}

// types returns the selected types, without repeats; nil means all.
func (f Filter) types() ([]schemas.Type, error) {
	types := dedupe(f.Events)
	for _, t := range types {
		if !t.Known() {
			return nil, fmt.Errorf("%w: unknown event type %q", ErrInvalidOptions, t)
		}
	}
	if len(f.Steps) > 0 && !slices.Contains(types, schemas.TypeStepResult) {
		types = append(types, schemas.TypeStepResult)
	}
	return types, nil
}

func dedupe[T comparable](in []T) []T {
	var out []T
	for _, v := range in {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
