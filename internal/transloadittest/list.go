package transloadittest

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// Bounds of GET /assemblies, as documented.
const (
	defaultPageSize = 50
	maxPageSize     = 5000
)

// serveList answers GET /assemblies?params=...&signature=...: Assemblies
// newest first, filtered by type, date range and keywords, one page at a
// time, with the total count.
func (s *Server) serveList(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.Query().Get("params")
	pd := &paramsDoc{}
	if raw != "" || s.cfg.authSecret != "" {
		var aerr *apiError
		if pd, aerr = parseParams(raw); aerr == nil {
			aerr = s.checkAuth(raw, r.URL.Query().Get("signature"), pd)
		}
		if aerr != nil {
			writeAPIError(w, http.StatusBadRequest, *aerr)
			return
		}
	}
	q, aerr := newListQuery(pd)
	if aerr != nil {
		writeAPIError(w, http.StatusBadRequest, *aerr)
		return
	}
	s.mu.Lock()
	var matched []*assembly
	for _, a := range s.assemblies {
		if q.match(a) {
			matched = append(matched, a)
		}
	}
	sort.Slice(matched, func(i, j int) bool { return matched[i].seq > matched[j].seq })
	body := listBody{Items: []listItem{}, Count: len(matched)}
	from := (q.page - 1) * q.pageSize
	for i := from; i < len(matched) && i < from+q.pageSize; i++ {
		body.Items = append(body.Items, s.listItemLocked(matched[i]))
	}
	s.mu.Unlock()
	b, _ := json.Marshal(body)
	writeJSON(w, http.StatusOK, b)
}

type listQuery struct {
	page, pageSize int
	typ            string
	from, to       time.Time
	keywords       []string
}

func newListQuery(pd *paramsDoc) (*listQuery, *apiError) {
	q := &listQuery{page: max(pd.Page, 1), pageSize: pd.PageSize, typ: pd.Type, keywords: pd.Keywords}
	if q.pageSize <= 0 {
		q.pageSize = defaultPageSize
	}
	if q.pageSize > maxPageSize {
		return nil, &apiError{Error: "ASSEMBLY_LIST_ERROR", Message: "pagesize must be between 1 and 5000."}
	}
	switch q.typ {
	case "", "all", "uploading", "executing", "canceled", "completed", "failed", "request_aborted":
	default:
		return nil, &apiError{Error: "ASSEMBLY_LIST_ERROR", Message: "Unknown type " + q.typ + "."}
	}
	for _, d := range []struct {
		in  string
		out *time.Time
	}{{pd.FromDate, &q.from}, {pd.ToDate, &q.to}} {
		if d.in == "" {
			continue
		}
		t, err := time.Parse(listDateLayout, d.in)
		if err != nil {
			return nil, &apiError{Error: "ASSEMBLY_LIST_ERROR", Message: "Dates are Y-m-d H:i:s in UTC."}
		}
		*d.out = t
	}
	return q, nil
}

// match runs under the Server's lock.
func (q *listQuery) match(a *assembly) bool {
	switch q.typ {
	case "uploading":
		if a.terminal || a.state != transloadit.StateUploading {
			return false
		}
	case "executing":
		if a.terminal || a.state == transloadit.StateUploading {
			return false
		}
	case "canceled":
		if a.fail != nil || a.state != transloadit.StateCanceled {
			return false
		}
	case "completed":
		if a.fail != nil || a.state != transloadit.StateCompleted {
			return false
		}
	case "failed":
		if a.fail == nil {
			return false
		}
	case "request_aborted":
		if a.fail != nil || a.state != transloadit.StateAborted {
			return false
		}
	}
	created := a.created.UTC().Truncate(time.Second)
	if !q.from.IsZero() && created.Before(q.from) || !q.to.IsZero() && created.After(q.to) {
		return false
	}
	for _, kw := range q.keywords {
		if !a.mentions(kw) {
			return false
		}
	}
	return true
}

// mentions reports whether kw is in the Assembly's id, notify_url,
// fields, error message or file names.
func (a *assembly) mentions(kw string) bool {
	if kw == "" || strings.Contains(a.id, kw) {
		return true
	}
	if a.plan.notifyURL != nil && strings.Contains(*a.plan.notifyURL, kw) {
		return true
	}
	if a.fail != nil && strings.Contains(a.fail.message, kw) {
		return true
	}
	if b, _ := json.Marshal(a.plan.fields); strings.Contains(string(b), kw) {
		return true
	}
	for _, u := range a.plan.uploads {
		if strings.Contains(u.name, kw) {
			return true
		}
	}
	return false
}

func (s *Server) listItemLocked(a *assembly) listItem {
	_, body := s.statusLocked(a)
	var st wireStatus
	_ = json.Unmarshal(body, &st)
	files, _ := json.Marshal(a.uploads)
	if a.uploads == nil {
		files = []byte("[]")
	}
	it := listItem{
		ID:                a.id,
		ParentID:          st.ParentID,
		AccountID:         s.accountID,
		TemplateID:        st.TemplateID,
		Instance:          s.instance,
		Region:            "sim-local-1",
		NotifyURL:         st.NotifyURL,
		Files:             ptr(string(files)),
		WarningCount:      len(a.warnings),
		ExecutionStart:    st.ExecutionStart,
		ExecutionDuration: st.ExecutionDuration,
		NumInputFiles:     len(a.uploads),
		BytesUsage:        st.BytesUsage,
		BytesExpected:     st.BytesExpected,
		BytesReceived:     st.BytesReceived,
		UploadDuration:    st.UploadDuration,
		Created:           a.created.UTC().Format(listDateLayout),
		CreatedTS:         a.created.Unix(),
	}
	switch {
	case a.fail != nil && !a.fail.system:
		it.Error = ptr(a.fail.code)
	case a.fail == nil:
		it.OK = ptr(string(a.state))
	}
	return it
}
