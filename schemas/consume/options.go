package consume

import (
	"time"

	"github.com/tlbridge/tlbridge/schemas"
)

// DefaultStream is the JetStream stream the bridge publishes to unless
// TLBRIDGE_STREAM_NAME says otherwise.
const DefaultStream = "TRANSLOADIT"

// DefaultRequestTimeout bounds a watch request whose ctx has no deadline.
const DefaultRequestTimeout = 5 * time.Second

// Option adjusts one call to where the bridge publishes, or, for [Events],
// where reading starts.
type Option func(*settings)

type settings struct {
	prefix  string
	stream  string
	start   time.Time
	newOnly bool
}

func newSettings(opts []Option) settings {
	s := settings{prefix: schemas.DefaultPrefix, stream: DefaultStream}
	for _, o := range opts {
		o(&s)
	}
	return s
}

// WithPrefix sets the subject prefix (TLBRIDGE_SUBJECT_PREFIX); empty
// means [schemas.DefaultPrefix].
func WithPrefix(prefix string) Option {
	return func(s *settings) {
		if prefix != "" {
			s.prefix = prefix
		}
	}
}

// WithStream sets the stream name (TLBRIDGE_STREAM_NAME); empty means
// [DefaultStream].
func WithStream(name string) Option {
	return func(s *settings) {
		if name != "" {
			s.stream = name
		}
	}
}

// WithStartTime makes [Events] start at the first event stored at or after
// t instead of the start of the stream.
func WithStartTime(t time.Time) Option {
	return func(s *settings) { s.start, s.newOnly = t, false }
}

// WithNewOnly makes [Events] skip what the stream holds and start with the
// next event published.
func WithNewOnly() Option {
	return func(s *settings) { s.start, s.newOnly = time.Time{}, true }
}
