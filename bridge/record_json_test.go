package bridge

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/tlbridge/tlbridge/internal/jsonenc/jsonenctest"
)

// TestWatchRecordAppendJSON: the record's encoder writes what
// encoding/json writes, byte for byte, for records with every field
// filled at random, so a field added to watchRecord and not to appendJSON
// fails here.
func TestWatchRecordAppendJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 1000 {
		var rec watchRecord
		jsonenctest.Fill(&rec, r)
		got, err := encodeRecord(nil, &rec)
		if want := jsonenctest.Stdlib(t, &rec); err != nil || string(got) != want {
			t.Fatalf("case %d: encodeRecord =\n%s, %v\nwant\n%s", i, got, err, want)
		}
	}
}

// BenchmarkWatchRecordEncode compares the record's encoder with
// encoding/json on the record of an Assembly with 60 results.
func BenchmarkWatchRecordEncode(b *testing.B) {
	rec := benchRecord(60)
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(&rec); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("appendJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			bp, buf := encodeBuf()
			enc, err := encodeRecord(buf, &rec)
			if err != nil {
				b.Fatal(err)
			}
			putEncodeBuf(bp, enc)
		}
	})
}
