package consume_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadittest"
	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/schemas/consume"
	"github.com/tlbridge/tlbridge/schemas/consume/consumetest"
)

// thumbsScript is an Assembly with an upload and a "thumbs" Step.
var thumbsScript = transloadittest.Script{Steps: []transloadittest.Step{
	{Name: ":original", Robot: "/upload/handle"},
	{Name: "thumbs", Robot: "/image/resize", Use: ":original"},
}}

// Ask the bridge to watch an Assembly, then read its events until the
// last one. In production nc comes from nats.Connect and js from
// jetstream.New(nc); here consumetest runs NATS, the simulator and the
// bridge in the process.
func ExampleFollow() {
	b, err := consumetest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	nc, js := b.Conn, b.JetStream
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := b.Sim.Create(ctx, thumbsScript) // your upload's create response
	if err != nil {
		log.Fatal(err)
	}

	reply, err := consume.Watch(ctx, nc, schemas.WatchRequest{AssemblyID: st.AssemblyID, AssemblySSLURL: st.AssemblySSLURL})
	if err != nil {
		log.Fatal(err)
	}
	for ev, err := range consume.Follow(ctx, js, reply.AssemblyID) {
		if err != nil {
			log.Fatal(err)
		}
		switch d := ev.Data.(type) {
		case *schemas.StepResult:
			fmt.Println("result of", d.Step)
		case *schemas.Completed:
			fmt.Println("completed:", d.Summary.Results, "results")
		}
	}
	// Output:
	// result of :original
	// result of thumbs
	// completed: 2 results
}

// A service that stores the results of the "thumbs" Step of every
// Assembly and hears of failed Assemblies. The durable consumer survives
// restarts; an error from a handler has the event delivered again later.
func ExampleConsume() {
	b, err := consumetest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	js := b.JetStream
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	stored := make(chan string, 1)
	h := consume.Handlers{
		StepResult: func(ctx context.Context, ev schemas.Event, r *schemas.StepResult) error {
			stored <- r.Result.Name // e.g. copy r.Result.SSLURL to your storage
			return nil
		},
		Failed: func(ctx context.Context, ev schemas.Event, f *schemas.Failed) error {
			log.Printf("assembly %s failed: %s", f.AssemblyID, f.Error)
			return nil
		},
	}
	opts := consume.Options{Durable: "thumbnailer", Steps: []string{"thumbs"}, Events: []schemas.Type{schemas.TypeFailed}}
	done := make(chan error, 1)
	go func() { done <- consume.Consume(ctx, js, opts, h) }()

	st, err := b.Sim.Create(ctx, thumbsScript)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := consume.Watch(ctx, b.Conn, schemas.WatchRequest{AssemblyID: st.AssemblyID}); err != nil {
		log.Fatal(err)
	}
	select {
	case name := <-stored:
		fmt.Println("stored", name)
	case <-ctx.Done():
		log.Fatal("no thumbnail stored")
	}
	cancel()
	fmt.Println("stopped:", <-done)
	// Output:
	// stored photo.jpg
	// stopped: <nil>
}
