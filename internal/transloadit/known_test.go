package transloadit

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// knownIDs returns a known predicate for the given step/id pairs, and
// records every id it is asked about.
func knownIDs(pairs ...string) (known func(step, id string) bool, asked *[]string) {
	set := make(map[[2]string]bool)
	for i := 0; i+1 < len(pairs); i += 2 {
		set[[2]string{pairs[i], pairs[i+1]}] = true
	}
	asked = new([]string)
	return func(step, id string) bool {
		*asked = append(*asked, step+"/"+id)
		return set[[2]string{step, id}]
	}, asked
}

func TestDecodeStatusKnownPlaceholders(t *testing.T) {
	body := []byte(`{"ok":"ASSEMBLY_COMPLETED","assembly_id":"a",
		"uploads":[{"id":"k","name":"up.jpg"}],
		"results":{
			"thumbs":[{"id":"k","name":"k.jpg","size":3,"meta":{"w":1}},{"id":"u","name":"u.jpg"},{"name":"noid.jpg"}],
			"exported":[{"name":"k2.jpg","id":"k2","is_tus_file":false,"tus_upload_url":null,"cost":1},{"id":"k","name":"other step"}]
		}}`)
	known, _ := knownIDs("thumbs", "k", "exported", "k2")
	got, err := DecodeStatusKnown(body, known)
	if err != nil {
		t.Fatal(err)
	}
	want, err := DecodeStatus(body)
	if err != nil {
		t.Fatal(err)
	}
	if got.Results.Count() != want.Results.Count() || !reflect.DeepEqual(got.Results.Steps(), want.Results.Steps()) {
		t.Fatalf("steps %v, %d results; want %v, %d", got.Results.Steps(), got.Results.Count(), want.Results.Steps(), want.Results.Count())
	}
	placeholders := map[string]bool{"thumbs/0": true, "exported/0": true}
	for _, step := range want.Results.Steps() {
		for i, w := range want.Results.Get(step) {
			g := got.Results.Get(step)[i]
			if placeholders[fmt.Sprintf("%s/%d", step, i)] {
				if !reflect.DeepEqual(g, File{ID: w.ID}) {
					t.Errorf("%s[%d] = %+v; want only its id %q", step, i, g, w.ID)
				}
			} else if !reflect.DeepEqual(g, w) {
				t.Errorf("%s[%d] = %+v; want it decoded in full, %+v", step, i, g, w)
			}
		}
	}
	if !reflect.DeepEqual(got.Uploads, want.Uploads) {
		t.Errorf("uploads = %+v; want %+v (known is about results only)", got.Uploads, want.Uploads)
	}
	got.Results, want.Results = Results{}, Results{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the rest of the status differs:\n got %+v\nwant %+v", got, want)
	}
}

// TestDecodeStatusKnownUnusual: a result whose id is not a plain string,
// or whose members a scan cannot vouch for, is decoded in full even when
// its id is known, and known is not asked about ids that are not plain.
func TestDecodeStatusKnownUnusual(t *testing.T) {
	for _, tc := range []struct {
		elem        string
		placeholder bool
	}{
		{`{"id":"k\u0000"}`, false},
		{`{"id":"\u006b","name":"escaped id"}`, false},
		{`{"id":"k` + "\xff" + `"}`, false},
		{`{"id":7}`, false},
		{`{"id":null,"name":"k"}`, false},
		{`{"name":"k"}`, false},
		{`{"id":""}`, false},
		{`{"id":"k","ID":"j"}`, false},
		{`{"iD":"k"}`, false},
		{`{"id":"k","id":"k"}`, false},
		{`{"\u0069d":"k"}`, false},
		{`{"id":"k","size":1.5e0}`, false},
		{`{"id":"k","size":12345678901234567890}`, false},
		{`{"id":"k","nAme":"x"}`, false},
		{`{"id":"k","` + "\u017f" + `ize":1}`, false},
		{`null`, false},
		{`"k"`, false},
		{`{"id":"k","name":"\u00e9","size":-0,"meta":null,"x":[1,{"y":null}]}`, true},
		{`{ "id" : "k" , "is_tus_file" : null }`, true},
	} {
		elem := tc.elem
		body := []byte(`{"ok":"ASSEMBLY_COMPLETED","results":{"s":[` + elem + `]}}`)
		want, wantErr := DecodeStatus(body)
		known, asked := knownIDs("s", "k", "s", "k\u0000", "s", "", "s", "k\xff")
		got, err := DecodeStatusKnown(body, known)
		switch {
		case (err != nil) != (wantErr != nil):
			t.Errorf("%s: error %v; DecodeStatus gives %v", elem, err, wantErr)
		case err != nil:
		case tc.placeholder && !reflect.DeepEqual(got.Results.Get("s"), []File{{ID: "k"}}):
			t.Errorf("%s: decoded %+v; want only its id", elem, got.Results.Get("s"))
		case !tc.placeholder && !reflect.DeepEqual(got, want):
			t.Errorf("%s: decoded %+v; want it in full, %+v", elem, got.Results.Get("s"), want.Results.Get("s"))
		}
		for _, a := range *asked {
			if a != "s/k" {
				t.Errorf("%s: known asked about %q", elem, a)
			}
		}
	}
}

// TestDecodeStatusKnownMalformed: skipping a known result's decode lets
// through nothing DecodeStatus refuses.
func TestDecodeStatusKnownMalformed(t *testing.T) {
	for _, elem := range []string{
		`{"id":"k","size":"12"}`,
		`{"id":"k","name":12}`,
		`{"id":"k","is_tus_file":"yes"}`,
		`{"id":"k","size":01}`,
		`{"id":"k","size":-}`,
		`{"id":"k","meta":{"w":}}`,
		`{"id":"k","cost":tru}`,
		`{"id":"k","name":"a` + "\n" + `"}`,
		`{"id":"k","name":"\x"}`,
		`{"id":"k",}`,
		`{"id":"k" "name":"x"}`,
		`{"id":"k"`,
		`{"id":"k","size":1}]}`,
	} {
		body := []byte(`{"ok":"ASSEMBLY_COMPLETED","results":{"s":[` + elem + `]}}`)
		_, wantErr := DecodeStatus(body)
		if wantErr == nil {
			t.Fatalf("%s: DecodeStatus accepts it; the case tests nothing", elem)
		}
		known, _ := knownIDs("s", "k")
		st, err := DecodeStatusKnown(body, known)
		if !errors.Is(err, ErrMalformedStatus) {
			t.Errorf("%s: DecodeStatusKnown = %+v, %v; want ErrMalformedStatus like DecodeStatus (%v)", elem, st, err, wantErr)
		}
	}
}

// TestDecodeStatusKnownAll: with every result of the 1,000 known, each
// comes back as its id alone, in order.
func TestDecodeStatusKnownAll(t *testing.T) {
	body := withResults(t, readSeed(t), 1000)
	want, err := DecodeStatus(body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeStatusKnown(body, func(string, string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	if got.Results.Count() != 1000 {
		t.Fatalf("%d results; want 1000", got.Results.Count())
	}
	for _, step := range want.Results.Steps() {
		for i, w := range want.Results.Get(step) {
			if g := got.Results.Get(step)[i]; !reflect.DeepEqual(g, File{ID: w.ID}) {
				t.Fatalf("%s[%d] = %+v; want only id %q", step, i, g, w.ID)
			}
		}
	}
}
