package bridge

import (
	"time"

	"github.com/tlbridge/tlbridge/bridge/publish"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the bridge's Prometheus collectors. A nil *Metrics is valid
// and records nothing, so components need no nil checks of their own.
type Metrics struct {
	watchesActive   prometheus.Gauge
	eventsPublished *prometheus.CounterVec
	publishErrors   prometheus.Counter
	upstream        *prometheus.CounterVec
	sseConnected    prometheus.Gauge
	pollFallbacks   prometheus.Counter
	rateLimitWaits  prometheus.Counter
	fetchesWaiting  prometheus.Gauge
	eventLatency    prometheus.Histogram
	lag             prometheus.Gauge
	publishPending  prometheus.Gauge
	// Durable watches.
	checkpoints    *prometheus.CounterVec
	watchesResumed prometheus.Counter
}

// NewMetrics creates the collectors and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		watchesActive: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tlbridge_watches_active", Help: "Assemblies being watched now."}),
		eventsPublished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tlbridge_events_published_total", Help: "Events acknowledged by NATS, by event type."}, []string{"type"}),
		publishErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tlbridge_publish_errors_total", Help: "Failed publish attempts (each is retried with the same message id)."}),
		upstream: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tlbridge_upstream_requests_total", Help: "Requests to Transloadit by kind (status, stream) and outcome."}, []string{"kind", "outcome"}),
		sseConnected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tlbridge_sse_connected", Help: "Watches whose update stream is connected now."}),
		pollFallbacks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tlbridge_poll_fallbacks_total", Help: "Times a watch fell back to polling because its stream was unavailable."}),
		rateLimitWaits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tlbridge_rate_limit_waits_total", Help: "Waits imposed by upstream rate-limit answers."}),
		fetchesWaiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tlbridge_status_fetches_waiting",
			Help: "Status fetches waiting for a turn because the most allowed at once are in flight; it grows when the upstream or the bridge's CPU falls behind."}),
		eventLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tlbridge_event_latency_seconds", Help: "Time from observing a change upstream to the publish ack.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12)}),
		publishPending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tlbridge_publish_pending", Help: "Events waiting for a publish ack."}),
		checkpoints: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tlbridge_checkpoint_writes_total", Help: "Checkpoint writes of durable watches, by outcome (ok, error)."}, []string{"outcome"}),
		watchesResumed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tlbridge_watches_resumed_total", Help: "Durable watches resumed from a checkpoint (a takeover or a restart)."}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tlbridge_lag_seconds",
			Help: "Time from observing a change upstream to the publish ack, for the oldest event of the latest batch acknowledged; it grows when the bridge falls behind."}),
	}
	reg.MustRegister(m.watchesActive, m.eventsPublished, m.publishErrors, m.upstream,
		m.sseConnected, m.pollFallbacks, m.rateLimitWaits, m.fetchesWaiting, m.eventLatency, m.publishPending,
		m.checkpoints, m.watchesResumed, m.lag)
	return m
}

func (m *Metrics) watchDelta(d float64) {
	if m != nil {
		m.watchesActive.Add(d)
	}
}

func (m *Metrics) published(eventType string, latency time.Duration) {
	if m != nil {
		m.eventsPublished.WithLabelValues(eventType).Inc()
		m.eventLatency.Observe(latency.Seconds())
	}
}

var _ publish.Observer = (*Metrics)(nil)

// Published implements [publish.Observer]. Acknowledged events are counted by
// the worker, which knows when each was observed.
func (m *Metrics) Published(publish.Message, bool) {}

// PublishFailed implements [publish.Observer]: it counts every failed attempt.
func (m *Metrics) PublishFailed(publish.Message, error, bool) {
	if m != nil {
		m.publishErrors.Inc()
	}
}

// lagged records the lag of the batch just acknowledged.
func (m *Metrics) lagged(d time.Duration) {
	if m != nil {
		m.lag.Set(d.Seconds())
	}
}

func (m *Metrics) pending(d float64) {
	if m != nil {
		m.publishPending.Add(d)
	}
}

// UpstreamRequest counts one request to Transloadit; kind is "status" or
// "stream", outcome "ok", "error", "rate_limited" or "not_found".
func (m *Metrics) UpstreamRequest(kind, outcome string) {
	if m != nil {
		m.upstream.WithLabelValues(kind, outcome).Inc()
	}
}

func (m *Metrics) sseDelta(d float64) {
	if m != nil {
		m.sseConnected.Add(d)
	}
}

func (m *Metrics) pollFallback() {
	if m != nil {
		m.pollFallbacks.Inc()
	}
}

// RateLimitWait counts one wait imposed by an upstream rate-limit answer.
func (m *Metrics) RateLimitWait(time.Duration) {
	if m != nil {
		m.rateLimitWaits.Inc()
	}
}

// StatusFetchWaiting counts status fetches waiting for a turn: +1 when
// one starts waiting, -1 when it stops. It fits poller.Config.OnInFlightWait.
func (m *Metrics) StatusFetchWaiting(delta int) {
	if m != nil {
		m.fetchesWaiting.Add(float64(delta))
	}
}

func (m *Metrics) checkpointWritten(err error) {
	if m == nil {
		return
	}
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.checkpoints.WithLabelValues(outcome).Inc()
}

func (m *Metrics) watchResumed() {
	if m != nil {
		m.watchesResumed.Inc()
	}
}
