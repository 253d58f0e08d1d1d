package transloadittest

import (
	"bytes"
	"encoding/json"
	"time"
)

// wireFile is an upload or a result as the API writes it, keys in the
// order of the documented example. Result-only members are omitted from
// uploads.
type wireFile struct {
	ID               string          `json:"id"`
	Name             string          `json:"name"`
	Basename         string          `json:"basename"`
	Ext              string          `json:"ext"`
	Size             int64           `json:"size"`
	Mime             string          `json:"mime"`
	Type             *string         `json:"type"`
	Field            *string         `json:"field"`
	MD5Hash          string          `json:"md5hash"`
	OriginalID       string          `json:"original_id"`
	OriginalBasename string          `json:"original_basename"`
	OriginalName     string          `json:"original_name"`
	OriginalPath     string          `json:"original_path"`
	OriginalMD5Hash  string          `json:"original_md5hash"`
	FromBatchImport  bool            `json:"from_batch_import"`
	IsTusFile        bool            `json:"is_tus_file"`
	TusUploadURL     *string         `json:"tus_upload_url"`
	URL              string          `json:"url"`
	SSLURL           string          `json:"ssl_url"`
	Meta             json.RawMessage `json:"meta"`
	ImportURL        string          `json:"import_url,omitempty"`
	Queue            *string         `json:"queue,omitempty"`
	QueueTime        *float64        `json:"queue_time,omitempty"`
	ExecTime         *float64        `json:"exec_time,omitempty"`
	Cost             *int64          `json:"cost,omitempty"`
}

type wireWarning struct {
	Level string `json:"level"`
	Msg   string `json:"msg"`
}

// stepResults is one Step's entry in "results".
type stepResults struct {
	step  string
	files []wireFile
}

// wireResults writes the Steps in execution order.
type wireResults []stepResults

func (r wireResults) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, sr := range r {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, _ := json.Marshal(sr.step)
		buf.Write(k)
		buf.WriteByte(':')
		files := sr.files
		if files == nil {
			files = []wireFile{}
		}
		v, err := json.Marshal(files)
		if err != nil {
			return nil, err
		}
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// wireStatus is an Assembly Status with the members of the documented
// example, plus the error and system-error members of failed Assemblies.
// OK is raw so it can be a state, null, or absent.
type wireStatus struct {
	AssemblyID              string          `json:"assembly_id"`
	OK                      json.RawMessage `json:"ok,omitempty"`
	Error                   string          `json:"error,omitempty"`
	Message                 string          `json:"message,omitempty"`
	Reason                  string          `json:"reason,omitempty"`
	Step                    string          `json:"step,omitempty"`
	HTTPCode                int             `json:"http_code,omitempty"`
	Errno                   *int            `json:"errno,omitempty"`
	Code                    string          `json:"code,omitempty"`
	Syscall                 string          `json:"syscall,omitempty"`
	Path                    string          `json:"path,omitempty"`
	Warnings                []wireWarning   `json:"warnings"`
	AccountID               string          `json:"account_id"`
	AssemblySSLURL          string          `json:"assembly_ssl_url"`
	AssemblyURL             string          `json:"assembly_url"`
	BuildID                 string          `json:"build_id"`
	BytesExpected           *int64          `json:"bytes_expected"`
	BytesReceived           int64           `json:"bytes_received"`
	BytesUsage              int64           `json:"bytes_usage"`
	ClientAgent             *string         `json:"client_agent"`
	ClientIP                *string         `json:"client_ip"`
	ClientReferer           *string         `json:"client_referer"`
	CompanionURL            string          `json:"companion_url"`
	ExecutingJobs           []string        `json:"executing_jobs"`
	ExecutionDuration       *float64        `json:"execution_duration"`
	ExecutionStart          *string         `json:"execution_start"`
	ExpectedTusUploads      int             `json:"expected_tus_uploads"`
	Fields                  map[string]any  `json:"fields"`
	FinishedTusUploads      int             `json:"finished_tus_uploads"`
	HasDupeJobs             bool            `json:"has_dupe_jobs"`
	Instance                string          `json:"instance"`
	IsInfinite              bool            `json:"is_infinite"`
	JobsQueueDuration       float64         `json:"jobs_queue_duration"`
	LastJobCompleted        *string         `json:"last_job_completed"`
	MergedParams            *string         `json:"merged_params"`
	NotifyDuration          *float64        `json:"notify_duration"`
	NotifyResponseCode      *int            `json:"notify_response_code"`
	NotifyStart             *string         `json:"notify_start"`
	NotifyStatus            *string         `json:"notify_status"`
	NotifyURL               *string         `json:"notify_url"`
	Params                  *string         `json:"params"`
	ParentAssemblyStatus    json.RawMessage `json:"parent_assembly_status"`
	ParentID                *string         `json:"parent_id"`
	QueueDuration           float64         `json:"queue_duration"`
	Results                 wireResults     `json:"results"`
	RunningJobs             []string        `json:"running_jobs"`
	StartDate               string          `json:"start_date"`
	StartedJobs             []string        `json:"started_jobs"`
	StartedTusUploads       int             `json:"started_tus_uploads"`
	Template                *string         `json:"template"`
	TemplateID              *string         `json:"template_id"`
	TransloaditClient       *string         `json:"transloadit_client"`
	TusURL                  string          `json:"tus_url"`
	UpdateStreamURL         string          `json:"update_stream_url,omitempty"`
	UploadDuration          float64         `json:"upload_duration"`
	UploadMetaDataExtracted bool            `json:"upload_meta_data_extracted"`
	Uploads                 []wireFile      `json:"uploads"`
	UppyserverURL           string          `json:"uppyserver_url"`
	WebsocketURL            string          `json:"websocket_url"`
}

// apiError is an error body: {"error", "message", "http_code", "info"}.
type apiError struct {
	Error      string    `json:"error"`
	Message    string    `json:"message,omitempty"`
	HTTPCode   int       `json:"http_code,omitempty"`
	AssemblyID string    `json:"assembly_id,omitempty"`
	Info       *wireInfo `json:"info,omitempty"`
}

type wireInfo struct {
	RetryIn float64 `json:"retryIn"`
}

// listItem is an item of GET /assemblies.
type listItem struct {
	ID                string   `json:"id"`
	ParentID          *string  `json:"parent_id"`
	AccountID         string   `json:"account_id"`
	TemplateID        *string  `json:"template_id"`
	TemplateName      *string  `json:"template_name"`
	Instance          string   `json:"instance"`
	Region            string   `json:"region"`
	NotifyURL         *string  `json:"notify_url"`
	RedirectURL       *string  `json:"redirect_url"`
	Files             *string  `json:"files"`
	WarningCount      int      `json:"warning_count"`
	ExecutionStart    *string  `json:"execution_start"`
	ExecutionDuration *float64 `json:"execution_duration"`
	NumInputFiles     int      `json:"num_input_files"`
	BytesUsage        int64    `json:"bytes_usage"`
	BytesExpected     *int64   `json:"bytes_expected"`
	BytesReceived     int64    `json:"bytes_received"`
	UploadDuration    float64  `json:"upload_duration"`
	OK                *string  `json:"ok"`
	Error             *string  `json:"error"`
	Created           string   `json:"created"`
	CreatedTS         int64    `json:"created_ts"`
}

type listBody struct {
	Items []listItem `json:"items"`
	Count int        `json:"count"`
}

// Date layouts the API writes.
const (
	statusDateLayout = "2006/01/02 15:04:05 GMT"
	listDateLayout   = "2006-01-02 15:04:05"
)

func statusDate(t time.Time) string { return t.UTC().Format(statusDateLayout) }

func ptr[T any](v T) *T { return &v }

// seconds rounds d to milliseconds, as the API's durations are.
func seconds(d time.Duration) float64 {
	return float64(d.Round(time.Millisecond)) / float64(time.Second)
}
