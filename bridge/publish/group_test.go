package publish

import (
	"slices"
	"testing"
)

// TestGroupByKey: messages split into per-Key runs in the order of first
// appearance, each run in its messages' order; a call with one Key comes
// back as the caller's own slice.
func TestGroupByKey(t *testing.T) {
	m := func(key, id string) Message { return Message{Key: key, ID: id} }
	mixed := []Message{m("a", "1"), m("b", "2"), m("a", "3"), m("c", "4"), m("b", "5")}
	got := groupByKey(mixed)
	want := [][]Message{{m("a", "1"), m("a", "3")}, {m("b", "2"), m("b", "5")}, {m("c", "4")}}
	ids := func(g []Message) []string {
		var s []string
		for _, m := range g {
			s = append(s, m.Key+m.ID)
		}
		return s
	}
	if !slices.EqualFunc(got, want, func(a, b []Message) bool { return slices.Equal(ids(a), ids(b)) }) {
		t.Errorf("groupByKey(mixed) = %v; want %v", got, want)
	}

	one := []Message{m("a", "1"), m("a", "2")}
	if got := groupByKey(one); len(got) != 1 || len(got[0]) != 2 || &got[0][0] != &one[0] {
		t.Errorf("groupByKey(one key) = %v; want the slice itself as the only group", got)
	}
	if got := groupByKey(nil); len(got) != 0 {
		t.Errorf("groupByKey(nil) = %v; want no groups", got)
	}
}
