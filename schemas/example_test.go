package schemas_test

import (
	"context"
	"log"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tlbridge/tlbridge/schemas"
)

// A consumer that waits for the results of one Step of every Assembly and
// for the Assemblies' outcomes, with a durable JetStream consumer: it
// survives restarts, and the event ID makes redelivered events harmless.
func Example_jetStream() {
	nc, err := nats.Connect(nats.DefaultURL)
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Drain()
	js, err := jetstream.New(nc)
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cons, err := js.CreateOrUpdateConsumer(ctx, "TRANSLOADIT", jetstream.ConsumerConfig{
		Durable: "thumbnailer",
		FilterSubjects: []string{
			"transloadit.v1.assemblies.*.steps.thumbs.result",
			"transloadit.v1.assemblies.*.completed",
			"transloadit.v1.assemblies.*.failed",
		},
		AckPolicy: jetstream.AckExplicitPolicy,
	})
	if err != nil {
		log.Fatal(err)
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		ev, err := schemas.Decode(msg.Data())
		if err != nil {
			_ = msg.Term() // not an event of this catalogue: never redeliver
			return
		}
		// ev.ID is the idempotency key: skip it if already handled.
		switch d := ev.Data.(type) {
		case *schemas.StepResult:
			log.Printf("%s: thumbnail %s at %s", d.AssemblyID, d.Result.Name, d.Result.SSLURL)
		case *schemas.Completed:
			log.Printf("%s: done, %d results", d.AssemblyID, d.Summary.Results)
		case *schemas.Failed:
			log.Printf("%s: failed: %s %s", d.AssemblyID, d.Error, d.Message)
		}
		_ = msg.Ack()
	})
	if err != nil {
		log.Fatal(err)
	}
	defer cc.Stop()
	<-ctx.Done()
}

// A core NATS subscriber following every event of one Assembly; without
// JetStream, events published while it is away are lost.
func Example_subscribe() {
	nc, err := nats.Connect(nats.DefaultURL)
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Drain()
	const id = "2b7beaddf0a046e2ada603346f2cbee1"
	done := make(chan struct{}, 1)
	_, err = nc.Subscribe(schemas.AssemblySubject(schemas.DefaultPrefix, id)+".>", func(msg *nats.Msg) {
		ev, err := schemas.Decode(msg.Data)
		if err != nil {
			return
		}
		p, _ := schemas.ParseSubject(schemas.DefaultPrefix, msg.Subject)
		log.Printf("%s %s (step %q)", ev.Type, ev.ID, p.Step)
		if ev.Type.Terminal() {
			select {
			case done <- struct{}{}: // the bridge sends one terminal event; a republished duplicate may follow
			default:
			}
		}
	})
	if err != nil {
		log.Fatal(err)
	}
	<-done
}
