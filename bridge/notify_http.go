package bridge

import (
	"errors"
	"mime"
	"net/http"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// maxNotification bounds a notification's body: it carries a whole
// Assembly Status, as large as the poller accepts.
const maxNotification = 32 << 20

// CodeInvalidSignature refuses a notification whose signature does not
// verify (or when no secret is configured to verify it with).
const CodeInvalidSignature = "INVALID_SIGNATURE"

// notify accepts a notification as Transloadit sends it: a form, multipart
// or urlencoded, with the status JSON in "transloadit" and its signature
// in "signature". The signature is checked over the raw field, before the
// JSON is even parsed.
func (h *httpAPI) notify(w http.ResponseWriter, r *http.Request) {
	raw, sig, err := readNotification(w, r)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	if h.notifySecret == "" || !transloadit.VerifySignature(h.notifySecret, raw, sig) {
		writeAPIError(w, &WatchError{CodeInvalidSignature, "the notification's signature does not verify"})
		return
	}
	st, err := transloadit.DecodeStatus([]byte(raw))
	if err != nil {
		writeAPIError(w, &WatchError{CodeInvalidRequest, err.Error()})
		return
	}
	reply, err := h.m.Notify(r.Context(), st)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	writeAPIJSON(w, http.StatusOK, reply)
}

func readNotification(w http.ResponseWriter, r *http.Request) (raw, sig string, err error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxNotification)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		// Bounded by the MaxBytesReader; keeps the fields in memory.
		err = r.ParseMultipartForm(maxNotification)
	} else {
		err = r.ParseForm()
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return "", "", &WatchError{CodeInvalidRequest, "notification larger than 32 MiB"}
	case err != nil:
		return "", "", &WatchError{CodeInvalidRequest, "reading the notification: " + err.Error()}
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	raw, sig = r.PostFormValue("transloadit"), r.PostFormValue("signature")
	if raw == "" || sig == "" {
		return "", "", &WatchError{CodeInvalidRequest, `a notification needs the form fields "transloadit" and "signature"`}
	}
	return raw, sig, nil
}
