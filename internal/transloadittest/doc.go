// Package transloadittest is a Transloadit API simulator for tests and
// demos, shaped like httptest.Server: NewServer starts it on two loopback
// listeners, URL plays the base host (https://api2.transloadit.com),
// MachineURL the machine host (https://api2-<machine>.transloadit.com),
// and Close stops everything it started.
//
// # What it serves
//
//   - POST /assemblies and POST /assemblies/<id> on both hosts: form field
//     params (JSON with steps, optional auth, notify_url, template_id,
//     fields, emit_execution_progress), optional signature, optional
//     tus_num_expected_upload_files, multipart files (each counts as an
//     upload). It answers 200 with the creation status, whose
//     assembly_ssl_url, assembly_url, websocket_url, update_stream_url and
//     tus_url point at the machine host. Signatures are checked only when
//     the Server has an auth secret (WithAuthSecret); then NO_SIGNATURE_FIELD,
//     INVALID_SIGNATURE, AUTH_EXPIRED and friends come back as HTTP 400.
//     tus is not served: the uploads tus_num_expected_upload_files announces
//     arrive as if sent (is_tus_file: true).
//   - GET /assemblies/<id> on both hosts: the Assembly Status. More than 3
//     requests for one Assembly inside any sliding second (refused ones
//     included) get HTTP 429 with
//     {"error":"ASSEMBLY_STATUS_FETCHING_RATE_LIMIT_REACHED","info":{"retryIn":s}}
//     and Retry-After; unknown IDs get 404 ASSEMBLY_NOT_FOUND.
//   - the update stream at update_stream_url (machine host only,
//     <websocket_url>?assembly=<id>, Accept: text/event-stream required,
//     else 406): "id: <assembly id>" and a blank line, then payload-less
//     messages as "data: <name>" and events as "event: <name>" plus one
//     "data: <json>" line. Nothing is replayed: a connection sees what
//     happens after it connected. The stream is closed by the server
//     after assembly_finished (completed, canceled, aborted) or after
//     assembly_error (failed). A connect to a finished Assembly gets the id
//     line, then one "event: assembly_error" whose data is
//     {"error":"ASSEMBLY_NOT_FOUND","message":...,"assembly_id":...}, then
//     the end of the stream: upstream only promises the stream while an
//     Assembly runs, and SDKs met exactly such spurious errors after late
//     connects, so a watcher must learn the outcome from the status.
//   - DELETE /assemblies/<id>: cancels (200 with the ASSEMBLY_CANCELED
//     status); an Assembly that no longer runs gives 404 ASSEMBLY_NOT_FOUND.
//   - GET /assemblies: {"items":[...],"count":N}, newest first, with
//     page, pagesize, type, fromdate, todate and keywords from params.
//
// # Lifecycle
//
// Each Assembly is a goroutine owned by the Server. Every change happens
// one Tick after the previous: each upload grows in UploadChunks steps of
// bytes_received and ends with assembly_upload_finished; then
// assembly_uploading_finished (state ASSEMBLY_EXECUTING) and
// assembly_upload_meta_data_extracted; then each Step produces its
// results in order, one per Tick, each sent as assembly_result_finished
// ["step", result] (plus assembly_execution_progress when asked); then
// ASSEMBLY_COMPLETED and assembly_finished. An Assembly whose first Step
// imports (/http/import) has no uploads and starts executing.
//
// A failed Assembly (Script.FailStep, FailCode) is served with the HTTP
// code of its error (Script.FailHTTPCode, or one derived from the code)
// and no "ok", as errors of the API usually are; Awkward.ErrorIn200OKNull
// and Awkward.ErrorNoOK serve it with HTTP 200 and "ok": null or no "ok",
// the shapes real status GETs returned.
//
// Assemblies created over HTTP take the simulator's knobs from params.x_sim
// or a form field x_sim (JSON: tick_ms, fail_step, fail_code,
// fail_http_code, cancel_after_results, abort_upload, start_on_stream,
// parent_id, results {"step": n}, uploads [{name,size,mime}],
// awkward {error_in_200_ok_null, ...}, faults {drop_stream_after, ...,
// latency_ms}).
package transloadittest
