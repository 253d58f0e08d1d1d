package schemas

import (
	"fmt"
	"strings"
)

// Type is the short name of an event type, e.g. "step.result". Its
// CloudEvents type is "transloadit.assembly.<name>.v1".
type Type string

// The v1 event types.
const (
	// TypeUploading: the Assembly was first seen (it starts by uploading).
	TypeUploading Type = "uploading"
	// TypeUploadProgress: bytes_received grew (coalesced, at most one per second).
	TypeUploadProgress Type = "upload.progress"
	// TypeUploadFinished: a new upload.
	TypeUploadFinished Type = "upload.finished"
	// TypeUploadMetaExtracted: all uploads are in and their metadata was extracted.
	TypeUploadMetaExtracted Type = "upload.meta_extracted"
	// TypeExecuting: the Assembly started executing its Steps.
	TypeExecuting Type = "executing"
	// TypeReplaying: the Assembly is a replay of another (data.parent_id).
	TypeReplaying Type = "replaying"
	// TypeExecutionProgress: progress_combined grew (coalesced, at most one per second).
	TypeExecutionProgress Type = "execution.progress"
	// TypeStepResult: a new result file of a Step.
	TypeStepResult Type = "step.result"
	// TypeWarning: a new entry in the Assembly's warnings.
	TypeWarning Type = "warning"
	// TypeCompleted: terminal, ASSEMBLY_COMPLETED.
	TypeCompleted Type = "completed"
	// TypeFailed: terminal, the Assembly failed.
	TypeFailed Type = "failed"
	// TypeCanceled: terminal, ASSEMBLY_CANCELED.
	TypeCanceled Type = "canceled"
	// TypeAborted: terminal, REQUEST_ABORTED.
	TypeAborted Type = "aborted"
	// TypeWatchExpired: the bridge stopped watching at the watch's TTL.
	TypeWatchExpired Type = "watch.expired"
	// TypeWatchFailed: the bridge gave up watching (e.g. the Assembly stayed unknown).
	TypeWatchFailed Type = "watch.failed"
	// TypeWatchCanceled: the watch was stopped on request (DELETE
	// /v1/watches/<id>); the Assembly itself may go on.
	TypeWatchCanceled Type = "watch.canceled"
)

// Version is the catalogue's major version, in CloudEvents types and subjects.
const Version = "v1"

// ceTypePrefix and ceTypeSuffix frame a Type into its CloudEvents type.
const (
	ceTypePrefix = "transloadit.assembly."
	ceTypeSuffix = "." + Version
)

var allTypes = []Type{
	TypeUploading, TypeUploadProgress, TypeUploadFinished, TypeUploadMetaExtracted,
	TypeExecuting, TypeReplaying, TypeExecutionProgress, TypeStepResult, TypeWarning,
	TypeCompleted, TypeFailed, TypeCanceled, TypeAborted, TypeWatchExpired, TypeWatchFailed, TypeWatchCanceled,
}

// Types returns every v1 event type, in lifecycle order. The caller may
// modify the returned slice.
func Types() []Type { return append([]Type(nil), allTypes...) }

// Known reports whether t is a v1 event type of this version of the package.
func (t Type) Known() bool {
	_, ok := newData[t]
	return ok
}

// Terminal reports whether t ends an Assembly's event stream: the four
// Assembly outcomes, the two ways the bridge gives up, and a canceled
// watch.
func (t Type) Terminal() bool {
	switch t {
	case TypeCompleted, TypeFailed, TypeCanceled, TypeAborted, TypeWatchExpired, TypeWatchFailed, TypeWatchCanceled:
		return true
	}
	return false
}

// CloudEventsType returns the CloudEvents type attribute,
// "transloadit.assembly.<name>.v1".
func (t Type) CloudEventsType() string { return ceTypePrefix + string(t) + ceTypeSuffix }

// SchemaURL returns the $id of t's JSON Schema, used as dataschema.
func (t Type) SchemaURL() string { return SchemaBaseURL + string(t) + ".json" }

// ParseCloudEventsType inverts [Type.CloudEventsType]. A well-formed v1 type
// whose name this package does not know is returned without error (v1 may
// grow); anything else wraps [ErrInvalidEvent].
func ParseCloudEventsType(s string) (Type, error) {
	name, ok := strings.CutPrefix(s, ceTypePrefix)
	if ok {
		name, ok = strings.CutSuffix(name, ceTypeSuffix)
	}
	if !ok || name == "" {
		return "", fmt.Errorf("%w: type %q is not transloadit.assembly.<event>.%s", ErrInvalidEvent, s, Version)
	}
	return Type(name), nil
}
