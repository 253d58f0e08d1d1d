package bridge

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// Codes of the notification endpoint, beside those of [WatchError].
const (
	// CodeInvalidSignature refuses a notification whose signature does
	// not verify.
	CodeInvalidSignature = "INVALID_SIGNATURE"
	// CodeNotifyDisabled answers every notification when no auth secret
	// is configured to verify them with.
	CodeNotifyDisabled = "NOTIFY_DISABLED"
	// CodeNotificationTooOld refuses a signed notification whose
	// Assembly last moved longer ago than NotifyMaxAge: a replay.
	CodeNotificationTooOld = "NOTIFICATION_TOO_OLD"
	// CodeBusy answers a notification while the most are being read; the
	// reply carries Retry-After, and Transloadit retries.
	CodeBusy = "BUSY"
	// CodeTooLarge refuses a body over its bound.
	CodeTooLarge = "REQUEST_TOO_LARGE"
)

// Defaults of the notification bounds in [HTTPConfig].
const (
	// DefaultNotifyMaxBytes bounds a notification's body: a status with
	// 1,000 results is about 1 MB.
	DefaultNotifyMaxBytes = 4 << 20
	// DefaultNotifyConcurrency bounds the notifications read at once, so
	// memory is bounded by it times NotifyMaxBytes.
	DefaultNotifyConcurrency = 8
	// DefaultNotifyMaxAge is longer than Transloadit retries a failed
	// notification and shorter than a finished Assembly is remembered.
	DefaultNotifyMaxAge = 24 * time.Hour
)

// notifyFields are the form fields a notification carries: the status
// JSON and its signature.
var notifyFields = map[string]bool{"transloadit": true, "signature": true}

// notify accepts a notification as Transloadit sends it: a form, multipart
// or urlencoded, with the status JSON in "transloadit" and its signature
// in "signature". Only those two fields are read into memory; the body is
// bounded, and so is the number read at once. The signature is checked
// over the raw field before the JSON is parsed.
func (h *httpAPI) notify(w http.ResponseWriter, r *http.Request) {
	if h.notifySecret == "" {
		writeAPIError(w, &WatchError{CodeNotifyDisabled,
			"notifications are disabled: set TLBRIDGE_AUTH_SECRET, the Transloadit auth secret that signs them"})
		return
	}
	select {
	case h.notifySlots <- struct{}{}:
		defer func() { <-h.notifySlots }()
	default:
		w.Header().Set("Retry-After", "1")
		writeAPIError(w, &WatchError{CodeBusy, "too many notifications at once; retry"})
		return
	}
	fields, err := readNotification(w, r, h.notifyMaxBytes)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	raw, sig := fields.Get("transloadit"), fields.Get("signature")
	if !transloadit.VerifySignature(h.notifySecret, raw, sig) {
		writeAPIError(w, &WatchError{CodeInvalidSignature, "the notification's signature does not verify"})
		return
	}
	st, err := transloadit.DecodeStatus([]byte(raw))
	if err != nil {
		writeAPIError(w, &WatchError{CodeInvalidRequest, err.Error()})
		return
	}
	if err := h.checkAge(st); err != nil {
		writeAPIError(w, err)
		return
	}
	reply, err := h.m.Notify(r.Context(), st)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	writeAPIJSON(w, http.StatusOK, reply)
}

// checkAge refuses a notification of an Assembly that last moved before
// NotifyMaxAge: a replay of an old notification, whose events went out
// long ago. One without readable dates is let through.
func (h *httpAPI) checkAge(st *transloadit.Status) error {
	latest, ok := st.LatestTime()
	if !ok {
		return nil
	}
	if age := h.now().Sub(latest); age > h.notifyMaxAge {
		return &WatchError{CodeNotificationTooOld, fmt.Sprintf(
			"the assembly last changed %s ago, more than the %s notifications are accepted for",
			age.Round(time.Second), h.notifyMaxAge)}
	}
	return nil
}

// readNotification returns the notification's two fields, reading at
// most limit bytes of body and keeping no file part.
func readNotification(w http.ResponseWriter, r *http.Request, limit int64) (url.Values, error) {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var fields url.Values
	var err error
	if mt == "multipart/form-data" {
		fields, err = readMultipartFields(r)
	} else {
		err = r.ParseForm()
		fields = r.PostForm
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, &WatchError{CodeTooLarge, fmt.Sprintf("notification larger than %d bytes", limit)}
	case err != nil:
		return nil, &WatchError{CodeInvalidRequest, "reading the notification: " + err.Error()}
	case fields.Get("transloadit") == "" || fields.Get("signature") == "":
		return nil, &WatchError{CodeInvalidRequest, `a notification needs the form fields "transloadit" and "signature"`}
	}
	return fields, nil
}

// readMultipartFields streams a multipart body, keeping the notification
// fields and discarding every other part as it goes.
func readMultipartFields(r *http.Request) (url.Values, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, err
	}
	fields := url.Values{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return fields, nil
		}
		if err != nil {
			return nil, err
		}
		if part.FileName() != "" || !notifyFields[part.FormName()] {
			_, err = io.Copy(io.Discard, part)
		} else {
			var b []byte
			b, err = io.ReadAll(part)
			fields.Add(part.FormName(), string(b))
		}
		part.Close()
		if err != nil {
			return nil, err
		}
	}
}
