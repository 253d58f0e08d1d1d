package poller

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tlbridge/tlbridge/internal/dialguard"
	"github.com/tlbridge/tlbridge/internal/retry"
	"github.com/tlbridge/tlbridge/internal/transloadit"
)

const (
	// errorBodyLimit bounds what is read of a 5xx body that is not JSON.
	errorBodyLimit = 64 << 10
	// messageLimit bounds the message kept in a retry.StatusError.
	messageLimit = 200
)

// kind is what one answer means for the fetch loop.
type kind int

const (
	kindStatus      kind = iota // a status (running or terminal); done
	kindNotFound                // the Assembly is unknown to this host
	kindRateLimited             // wait the hint out, then retry
	kindTransient               // the host failed; fall back or back off
	kindPermanent               // retrying will not help
	kindCanceled                // the caller's context ended
)

// verdict is the meaning of one attempt.
type verdict struct {
	kind   kind
	st     *transloadit.Status // kindStatus only
	err    error               // every other kind
	sentAt time.Time           // when the request started (zero if none was sent)
}

// attempt sends one request for t's Assembly to url, subject to the
// limiter and to Config.MaxInFlight.
func (p *Poller) attempt(ctx context.Context, e *entry, t Target, url string, onMachine bool) verdict {
	sentAt, err := p.acquire(ctx, e)
	if err != nil {
		return verdict{kind: kindCanceled, err: err}
	}
	var writes atomic.Int32
	// The slot taken by acquire is given back here, once roundTrip has
	// read and decoded the body, and before fetch waits to retry.
	defer func() { p.release(e, int(writes.Load())) }()
	actx, cancel := context.WithTimeout(ctx, p.cfg.RequestTimeout)
	defer cancel()
	actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { writes.Add(1) },
	})
	v := p.roundTrip(actx, t, url, onMachine)
	p.report(v.kind)
	if ctx.Err() != nil {
		v = verdict{kind: kindCanceled, err: ctx.Err()}
	}
	v.sentAt = sentAt
	return v
}

// roundTrip does one GET and judges the answer.
func (p *Poller) roundTrip(ctx context.Context, t Target, url string, onMachine bool) verdict {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return verdict{kind: kindPermanent, err: fmt.Errorf("poll: %w", err)}
	}
	req.Header.Set("User-Agent", p.cfg.UserAgent)
	req.Header.Set("Accept", "application/json")
	resp, err := p.client.Do(req)
	switch {
	case errors.Is(err, dialguard.ErrRefused):
		return verdict{kind: kindPermanent, err: fmt.Errorf("poll: %w", err)}
	case err != nil:
		return verdict{kind: kindTransient, err: fmt.Errorf("poll: %w", err)}
	}
	defer resp.Body.Close()
	buf := bodyBufs.Get().(*bytes.Buffer)
	defer putBodyBuf(buf)
	body, err := readBody(buf, resp, p.cfg.MaxBodyBytes)
	switch {
	case errors.Is(err, ErrBodyTooLarge):
		return verdict{kind: kindPermanent, err: err}
	case err != nil:
		return verdict{kind: kindTransient, err: fmt.Errorf("poll: reading body: %w", err)}
	}
	retryAfter := resp.Header.Get("Retry-After")
	hint := func(retryIn float64) time.Duration { return retryHint(retryIn, retryAfter, p.clock.Now()) }
	return classify(resp.StatusCode, body, t, onMachine, hint)
}

// readBody reads the body up to limit (ErrBodyTooLarge beyond it). Of a
// 5xx body that is not JSON only the first errorBodyLimit bytes are read:
// that is a proxy's page, and its start names the trouble. A 5xx body that
// is JSON is read whole, since the API serves failed Assemblies' statuses
// with 5xx codes too.
func readBody(buf *bytes.Buffer, resp *http.Response, limit int64) ([]byte, error) {
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("%w: %d bytes announced, limit %d", ErrBodyTooLarge, resp.ContentLength, limit)
	}
	r := io.LimitReader(resp.Body, limit+1)
	if resp.StatusCode >= 500 {
		_, err := buf.ReadFrom(io.LimitReader(r, errorBodyLimit))
		if err != nil || !looksLikeJSON(buf.Bytes()) {
			return buf.Bytes(), err
		}
	} else if resp.ContentLength > 0 {
		// MinRead more: ReadFrom needs that much room to see EOF, and
		// would otherwise double a buffer that is exactly full.
		buf.Grow(int(resp.ContentLength) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(r)
	if int64(buf.Len()) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, limit)
	}
	return buf.Bytes(), err
}

// bodyBufs holds the buffers bodies are read into. A body is only read
// and decoded, and a decoded status holds copies, never the body's bytes
// (transloadit.DecodeStatus), so the buffer is free again once roundTrip
// returns: a status of some hundred KiB then costs no new buffer grown by
// doubling on every fetch. MaxInFlight bounds how many are out at once.
var bodyBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBody keeps a rare huge body's buffer out of the pool.
const maxPooledBody = 4 << 20

func putBodyBuf(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBody {
		b.Reset()
		bodyBufs.Put(b)
	}
}

func looksLikeJSON(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// classify judges an answer by its body first and its HTTP code second:
// a body that is this Assembly's status is a status whatever the code (the
// API serves failed Assemblies with 4xx and 5xx codes too), while rate-limit
// and not-found codes are about the request. hint turns a body's
// info.retryIn into the server's retry hint (falling back to Retry-After).
// onMachine says whether the answer came from the machine host, where a 404
// or a redirect means the host is gone. The status's results are decoded
// as t.Known asks.
func classify(code int, body []byte, t Target, onMachine bool, hint func(float64) time.Duration) verdict {
	id := t.AssemblyID
	st, decErr := transloadit.DecodeStatusKnown(body, t.Known)
	isJSON := decErr == nil
	var se *retry.StatusError
	if isJSON {
		se = newStatusError(code, st.Error, shorten(st.Message))
	} else {
		se = newStatusError(code, "", snippet(body))
	}
	switch {
	case code == http.StatusTooManyRequests || isJSON && transloadit.IsRateLimitCode(st.Error):
		var retryIn float64
		if isJSON && st.Info != nil {
			retryIn = st.Info.RetryIn
		}
		se.RetryAfter = hint(retryIn)
		return verdict{kind: kindRateLimited, err: se}
	case isJSON && transloadit.IsNotFoundCode(st.Error):
		return verdict{kind: kindNotFound, err: se}
	case isJSON && st.AssemblyID == id && checkStatus(st, id) == nil:
		return verdict{kind: kindStatus, st: st}
	case code >= 500 || code == http.StatusRequestTimeout:
		return verdict{kind: kindTransient, err: se}
	case code == http.StatusNotFound || code >= 300 && code < 400:
		if onMachine {
			return verdict{kind: kindTransient, err: se}
		}
		return verdict{kind: kindPermanent, err: se}
	case code >= 200 && code < 300:
		if !isJSON {
			return verdict{kind: kindPermanent, err: fmt.Errorf("%w: %v", ErrMalformed, decErr)}
		}
		if err := checkStatus(st, id); err != nil {
			return verdict{kind: kindPermanent, err: err}
		}
		return verdict{kind: kindStatus, st: st}
	}
	return verdict{kind: kindPermanent, err: se}
}

// checkStatus rejects a JSON object that is no status of Assembly id.
func checkStatus(st *transloadit.Status, id string) error {
	if st.OK == "" && st.Error == "" && !st.IsSystemError() {
		return fmt.Errorf("%w: no ok, error or errno/code/syscall member", ErrMalformed)
	}
	if st.AssemblyID != "" && st.AssemblyID != id {
		return fmt.Errorf("%w: status of assembly %q", ErrMalformed, shorten(st.AssemblyID))
	}
	return nil
}

// snippet keeps the start of a non-JSON body, printable, for an error.
func snippet(b []byte) string {
	if len(b) > messageLimit {
		b = b[:messageLimit]
	}
	s := strings.Map(func(r rune) rune {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, string(b))
	return strings.Join(strings.Fields(s), " ")
}

func shorten(s string) string {
	if len(s) <= messageLimit {
		return s
	}
	return strings.ToValidUTF8(s[:messageLimit], "") + "..."
}
