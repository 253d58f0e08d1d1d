package schemas

// WatchRequest asks the bridge to watch one Assembly; it is the JSON body
// of a request on [WatchSubject] and of POST /v1/watches. The ID alone is
// enough: the bridge then fetches the status from its API base. The URLs
// from the create response save it a round trip.
type WatchRequest struct {
	AssemblyID      string `json:"assembly_id"`
	AssemblySSLURL  string `json:"assembly_ssl_url,omitempty"`
	UpdateStreamURL string `json:"update_stream_url,omitempty"`
	// Replay publishes the Assembly's events again, with new event IDs,
	// even when it finished already: for a consumer that lost its data.
	Replay bool `json:"replay,omitempty"`
}

// WatchReply answers a [WatchRequest]. OK is true when the Assembly is
// being watched; its events are then published under Subject
// ("<prefix>.v1.assemblies.<id>.>"). Otherwise Error holds one of the
// Watch… codes and Message says why.
type WatchReply struct {
	OK         bool   `json:"ok"`
	AssemblyID string `json:"assembly_id,omitempty"`
	Subject    string `json:"subject,omitempty"`
	// State is set when the Assembly finished before: its outcome; then
	// nothing was published.
	State   string `json:"state,omitempty"`
	Error   string `json:"error,omitempty"`
	Message string `json:"message,omitempty"`
}

// Codes of a refused watch, as they appear in [WatchReply].Error.
const (
	WatchInvalidRequest    = "INVALID_REQUEST"
	WatchInvalidAssemblyID = "INVALID_ASSEMBLY_ID"
	WatchURLNotAllowed     = "URL_NOT_ALLOWED"
	WatchTooManyWatches    = "TOO_MANY_WATCHES"
	WatchShuttingDown      = "SHUTTING_DOWN"
)

// WatchQueue is the queue group the bridge's replicas answer watch
// requests in, so each request is taken by one of them.
const WatchQueue = "tlbridge"
