package schematest_test

import (
	"sync"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/schemas/schematest"
)

func completedEvent() schemas.Event {
	const id = "2b7beaddf0a046e2ada603346f2cbee1"
	at := time.Date(2024, 8, 28, 13, 26, 0, 0, time.UTC)
	return schemas.NewEvent(schemas.TypeCompleted, id+"/completed", "tlbridge/test",
		schemas.Subject("", id, schemas.TypeCompleted, ""), at,
		&schemas.Completed{
			Base:    schemas.Base{AssemblyID: id, State: "ASSEMBLY_COMPLETED", Source: schemas.SourcePoll, ObservedAt: at},
			Summary: schemas.Summary{Steps: []schemas.StepSummary{}},
		})
}

// TestValidateConcurrently: tests running in parallel share the compiled
// schemas.
func TestValidateConcurrently(t *testing.T) {
	b, err := schemas.Encode(completedEvent())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if err := schematest.Validate(b); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestCheckEvent(t *testing.T) {
	if b := schematest.CheckEvent(t, completedEvent()); len(b) == 0 {
		t.Error("CheckEvent returned no encoding")
	}
	if !schematest.Check(t, schematest.CheckEvent(t, completedEvent())) {
		t.Error("Check rejected a valid event")
	}
}
