// Package poller fetches Assembly Statuses from the Transloadit API without
// ever tripping its per-Assembly rate limit.
//
// Transloadit refuses a fourth status request for the same Assembly inside
// any one-second window. A [Poller] makes that impossible whatever its
// callers do: every request for an Assembly, on any host and retries
// included, passes one per-Assembly limiter; at most one request per
// Assembly is in flight; and concurrent [Poller.Fetch] calls for one
// Assembly share a request. Rate-limit answers are waited out (info.retryIn
// or Retry-After, at least a second, plus jitter); 5xx answers, timeouts and
// connection failures are retried with bounded, jittered exponential
// backoff.
//
// Across Assemblies, at most Config.MaxInFlight requests are in flight, each
// from just before it is sent until its body is decoded; the rest wait
// their turn. When thousands of Assemblies are asked for at once, fetches
// then take longer instead of holding thousands of bodies in memory.
//
// A status is fetched from the Assembly's machine host (assembly_ssl_url)
// when the caller knows it. When that host fails (refused, unresolvable,
// timing out, answering 5xx, 404 or a redirect) the Poller falls back to the
// API origin and keeps using whichever host last worked for that Assembly.
//
// Answers are judged by their body before their HTTP code: this Assembly's
// status is returned as a status with a nil error whatever the code, an
// Assembly error inside it included (the API serves failed Assemblies with
// 200, 4xx and 5xx codes alike), while a rate-limit or not-found code is
// about the request. Only URLs that pass the configured allow list, in the
// shape of an assembly_ssl_url, are ever requested; the resolved address
// is checked again at dial time (internal/dialguard); redirects are not
// followed, and bodies are read up to a bound. Errors that asking again
// at once cannot fix match [ErrPermanent].
//
// The Poller has no polling loop of its own: a watcher decides when to
// fetch, on its own timer, and the Poller keeps every fetch within the
// limit.
package poller
