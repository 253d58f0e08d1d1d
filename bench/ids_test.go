package main

import "testing"

func TestIDsRoundTrip(t *testing.T) {
	x := newIDs()
	for _, tt := range []struct{ asm, res int }{{0, 0}, {1, 499}, {9999, 59}, {1 << 20, 1 << 20}} {
		id := x.assembly(tt.asm)
		if len(id) != 32 {
			t.Errorf("assembly(%d) = %q; want 32 characters", tt.asm, id)
		}
		if got, ok := x.parseAssembly(id); !ok || got != tt.asm {
			t.Errorf("parseAssembly(%q) = %d, %v; want %d, true", id, got, ok, tt.asm)
		}
		payload := []byte(`{"id":"` + x.result(tt.asm, tt.res) + `","original_id":"e48cdd96971c4485976bce09cbc32a78"}`)
		a, r, ok := x.findResult(payload)
		if !ok || a != tt.asm || r != tt.res {
			t.Errorf("findResult(%s) = %d, %d, %v; want %d, %d, true", payload, a, r, ok, tt.asm, tt.res)
		}
	}
}

func TestIDsForeign(t *testing.T) {
	x, y := newIDs(), newIDs()
	if x.asmPrefix == x.resPrefix {
		t.Fatalf("prefixes equal: %q", x.asmPrefix)
	}
	for _, tt := range []struct {
		name string
		in   string
	}{
		{"other phase", y.result(1, 2)},
		{"assembly id is no result", x.assembly(3)},
		{"truncated", x.result(1, 2)[:30]},
		{"no id", `{"id":"8197cd2434784ec4b63340c6a06169eb"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if a, r, ok := x.findResult([]byte(tt.in)); ok {
				t.Errorf("findResult(%q) = %d, %d, true; want false", tt.in, a, r)
			}
		})
	}
	if _, ok := x.parseAssembly(y.assembly(1)); ok {
		t.Errorf("parseAssembly accepted another phase's ID")
	}
}
