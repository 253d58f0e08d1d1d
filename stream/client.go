package stream

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/tlbridge/tlbridge/internal/buildinfo"
	"github.com/tlbridge/tlbridge/internal/dialguard"
	"github.com/tlbridge/tlbridge/internal/retry"
	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// Client reads one Assembly's update stream. Create it with [NewClient]
// and read with [Client.Run]. A Client holds no connection between Runs
// and is safe for concurrent use; each Run opens its own stream.
type Client struct {
	cfg     Config
	id      string       // the Assembly the URL names
	http    *http.Client // the caller's client; never used directly, see httpClient
	backoff retry.Backoff
}

// NewClient checks cfg and returns a Client. It makes no request. A URL
// that is not an update stream URL inside cfg.AllowList
// (transloadit.AllowList.CheckStreamURL), or that names another Assembly
// than cfg.AssemblyID, gives an error wrapping
// transloadit.ErrURLNotAllowed; an out-of-range field one wrapping
// [ErrInvalidConfig].
func NewClient(cfg Config) (*Client, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	_, id, err := cfg.AllowList.CheckStreamURL(cfg.URL, cfg.AssemblyID)
	if err != nil {
		return nil, fmt.Errorf("stream: %w", err)
	}
	cfg = cfg.withDefaults()
	c := &Client{cfg: cfg, id: id, http: cfg.HTTPClient, backoff: retry.Backoff{Min: cfg.MinBackoff, Max: cfg.MaxBackoff}}
	if c.http == nil {
		c.http = &http.Client{Transport: dialguard.New(cfg.AllowList.HostSuffixes).StreamTransport()}
	}
	return c, nil
}

// Run connects to the stream and calls handle with every update, in the
// order received, until the stream ends for good. handle, OnConnect and
// OnDisconnect are called on the goroutine that called Run, one at a time;
// a slow handle delays reading but does not count as idleness. Run opens
// one connection at a time and reconnects with backoff when a connection
// fails, is closed before the Assembly's final update, or stays silent for
// IdleTimeout. After a reconnect the server may repeat updates: Run does
// not deduplicate (the SSE id upstream is the Assembly ID on every frame
// and identifies nothing); dedupe uploads by ID and results by step and ID.
//
// Run returns:
//   - nil once the stream ended after the Assembly's final update:
//     assembly_finished, or assembly_error (a failed Assembly sends no
//     assembly_finished, and reconnecting to it yields only more errors);
//   - ctx.Err() when ctx ends first;
//   - an error wrapping [ErrEventTooLarge];
//   - a *retry.StatusError matching [ErrStreamRefused] when the server refuses
//     the stream (a 4xx other than 408/429, or 204), after one request;
//   - an error wrapping transloadit.ErrURLNotAllowed when a redirect
//     leads off the allow list;
//   - an error wrapping dialguard.ErrRefused when the host resolves to an
//     address the allow list does not admit (loopback, private, ...);
//   - an error wrapping [ErrGaveUp] and the last failure after
//     MaxAttempts consecutive failed connection attempts.
//
// Every goroutine Run starts has ended when it returns.
func (c *Client) Run(ctx context.Context, handle func(Update)) error {
	if handle == nil {
		return fmt.Errorf("%w: nil handler", ErrInvalidConfig)
	}
	log := c.cfg.Logger
	var (
		unhealthy int // consecutive attempts that were not healthy; drives the backoff
		failed    int // consecutive attempts that never got a 200; checked against MaxAttempts
		lastErr   error
	)
	for {
		res := c.attempt(ctx, handle, failed, lastErr)
		switch {
		case res.terminal:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(res.err, ErrEventTooLarge), errors.Is(res.err, ErrStreamRefused),
			// A redirect off the allow list, or a host that resolved to
			// a refused address: the next attempt would end the same.
			errors.Is(res.err, transloadit.ErrURLNotAllowed), errors.Is(res.err, dialguard.ErrRefused):
			log.Warn("stream ended", zap.Error(res.err))
			return res.err
		}
		if res.connected {
			failed = 0
		} else {
			failed++
			lastErr = res.err
			if failed == 1 {
				log.Warn("stream connect failed; retrying", zap.Error(res.err))
			} else {
				log.Debug("stream connect failed again", zap.Int("failures", failed), zap.Error(res.err))
			}
			if c.cfg.MaxAttempts > 0 && failed >= c.cfg.MaxAttempts {
				return fmt.Errorf("%w after %d attempts: %w", ErrGaveUp, failed, res.err)
			}
		}
		if res.healthy(c.cfg.MaxBackoff) {
			unhealthy = 0
		}
		wait := max(c.backoff.Delay(unhealthy), res.retryAfter)
		unhealthy++
		if res.connected {
			log.Debug("stream lost; reconnecting", zap.Error(res.err), zap.Duration("wait", wait))
		}
		if !retry.Sleep(ctx, c.cfg.Clock, wait) {
			return ctx.Err()
		}
	}
}

// attemptResult is what one connection attempt ended with.
type attemptResult struct {
	connected  bool          // HTTP 200 received
	lived      time.Duration // from 200 to the end
	updates    int           // updates handed to the handler
	terminal   bool          // the Assembly's final update was seen
	retryAfter time.Duration // the server's hint for the next attempt
	err        error         // why it ended; nil for a clean close
}

// healthy reports whether the attempt proves the stream works, which
// resets the backoff: it delivered an update, or stayed open for at least
// the longest backoff (reconnecting after that is no busier than waiting).
// A server that accepts and hangs up at once stays unhealthy, so it is not
// hammered.
func (r attemptResult) healthy(maxBackoff time.Duration) bool {
	return r.updates > 0 || (r.connected && r.lived >= maxBackoff)
}

// attempt makes one connection and reads it to its end. The SSE library
// is given a fresh client each time, a strategy that never retries (Run
// owns reconnects, their backoff and their cap) and the attempt's own
// context, so nothing of it outlives the call: no Last-Event-ID carried
// over, no retry sleep ignoring cancellation, no shared state.
//
// failed and lastErr describe the attempts that failed before this one,
// so that a recovery is logged once, when it happens.
func (c *Client) attempt(ctx context.Context, handle func(Update), failed int, lastErr error) attemptResult {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	wd := newWatchdog(c.cfg.Clock, c.cfg.IdleTimeout, func() { cancel(ErrIdleTimeout) })
	defer wd.stop()

	var res attemptResult
	var connectedAt time.Time
	resp, err := c.request(actx, wd)
	if err == nil {
		err = checkResponse(resp, c.cfg.Clock.Now())
		var se *retry.StatusError
		if errors.As(err, &se) {
			res.retryAfter = se.RetryAfter
		}
	}
	if err == nil {
		res.connected, connectedAt = true, c.cfg.Clock.Now()
		if failed > 0 {
			c.cfg.Logger.Info("stream connected after failures", zap.Int("failures", failed), zap.NamedError("last", lastErr))
		}
		if c.cfg.OnConnect != nil {
			c.cfg.OnConnect()
		}
		err = c.read(resp.Body, wd, &res, handle)
	}
	if resp != nil {
		resp.Body.Close()
	}
	res.err = classify(ctx, actx, err)
	if res.connected {
		res.lived = retry.Since(c.cfg.Clock, connectedAt)
		if c.cfg.OnDisconnect != nil {
			c.cfg.OnDisconnect(res.err)
		}
	}
	return res
}

// request opens the stream. Nothing is read from it yet.
func (c *Client) request(ctx context.Context, wd *watchdog) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.URL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	req.Header.Set("Connection", "keep-alive")
	req.Header.Set("User-Agent", buildinfo.UserAgent())
	return c.httpClient(wd).Do(req)
}

// read hands each update of the stream to handle, on this goroutine,
// until the stream ends (nil) or fails.
func (c *Client) read(body io.Reader, wd *watchdog, res *attemptResult, handle func(Update)) error {
	r := newSSEReader(body, c.cfg.MaxEventSize)
	for {
		f, err := r.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		u := c.decode(f)
		res.updates++
		if u.Kind == KindAssemblyFinished || u.Kind == KindAssemblyError {
			res.terminal = true
			wd.shorten(min(c.cfg.IdleTimeout, finishDrain))
		}
		wd.setBusy(true)
		handle(u)
		wd.setBusy(false)
	}
}

// classify names why a subscription ended. A cancel shows as a failed
// read or a clean end alike, so the contexts are asked first.
func classify(ctx, actx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(context.Cause(actx), ErrIdleTimeout):
		return ErrIdleTimeout
	case errors.Is(err, bufio.ErrTooLong):
		return fmt.Errorf("%w: %w", ErrEventTooLarge, err)
	}
	return err
}

// decode turns a frame into an Update, applying the delivery rule for
// malformed payloads (see [Update.Err]).
func (c *Client) decode(f sseFrame) Update {
	u, err := ParseFrame(f.event, f.data)
	u.ReceivedAt = c.cfg.Clock.Now()
	if err != nil {
		c.cfg.Logger.Warn("malformed stream event", zap.String("name", u.Name), zap.Error(err))
		u.Err = err
		if u.Kind != KindAssemblyError {
			u.Kind = KindUnknown
			u.Upload, u.Result, u.Step, u.Progress = nil, nil, "", nil
		}
	}
	return u
}

// httpClient returns a per-attempt copy of the caller's client whose
// transport reports bytes to wd, without an overall Timeout (it would cut
// every long stream), and that follows redirects only to this Assembly's
// stream URL inside the allow list.
func (c *Client) httpClient(wd *watchdog) *http.Client {
	hc := *c.http
	hc.Timeout = 0
	hc.Transport = &watchedTransport{base: c.http.Transport, wd: wd}
	next := c.http.CheckRedirect
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if _, _, err := c.cfg.AllowList.CheckStreamURL(req.URL.String(), c.id); err != nil {
			return fmt.Errorf("stream: redirect: %w", err)
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stream: stopped after 10 redirects")
		}
		return nil
	}
	return &hc
}

// maxErrorBody bounds how much of a refusal's body is read for its code.
const maxErrorBody = 4 << 10

// checkResponse accepts a 200 carrying an event stream; anything else is
// an error, a *retry.StatusError for a non-200 status. It does not close
// the body.
func checkResponse(resp *http.Response, now time.Time) error {
	if resp.StatusCode != http.StatusOK {
		hint := retry.ParseRetryAfter(resp.Header.Get("Retry-After"), now)
		var ae transloadit.APIError
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		if json.Unmarshal(body, &ae) != nil {
			ae = transloadit.APIError{}
		}
		hint = max(hint, ae.RetryAfter())
		return refusal(resp.StatusCode, ae.Code, ae.Message, min(hint, maxRetryAfter))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "text/event-stream" {
			return fmt.Errorf("%w: Content-Type %q", ErrNotEventStream, ct)
		}
	}
	return nil
}
