package stream_test

import (
	"context"
	"errors"
	"log"

	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/stream"
)

// A watcher streams an Assembly's updates and falls back to polling while
// the stream is down or after it ended for any reason but the Assembly's
// end.
func ExampleClient_Run() {
	var st transloadit.Status // from a status fetch
	c, err := stream.NewClient(stream.Config{
		URL:          st.StreamURL(),
		AllowList:    transloadit.AllowList{HostSuffixes: []string{"transloadit.com"}},
		OnConnect:    func() { /* pause polling */ },
		OnDisconnect: func(error) { /* resume polling */ },
	})
	if err != nil {
		log.Print(err)
		return
	}
	err = c.Run(context.TODO(), func(u stream.Update) {
		switch u.Kind {
		case stream.KindResultFinished:
			log.Printf("result %s of step %s", u.Result.ID, u.Step)
		case stream.KindUnknown:
			log.Printf("unknown %q (err %v)", u.Name, u.Err)
		}
	})
	switch {
	case err == nil:
		// The Assembly ended: fetch its final status.
	case errors.Is(err, stream.ErrEventTooLarge), errors.Is(err, stream.ErrStreamRefused):
		// Streaming cannot work for this Assembly: poll.
	}
}
