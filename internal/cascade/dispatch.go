package cascade

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// GitHub's limits for a repository_dispatch request.
const (
	MaxClientPayloadKeys  = 10    // top-level keys of client_payload
	MaxClientPayloadBytes = 65536 // client_payload serialized must be under this (64 KB)
	MaxEventTypeChars     = maxEventType
)

// Dispatch is one repository_dispatch to send.
type Dispatch struct {
	Repo      string // owner/name
	Branch    string // the branch the receiver builds; "" is its default branch
	EventType string
	// ClientPayload is {"ladder": Envelope}: one key for ladder, nothing else.
	ClientPayload map[string]any
	// Body is ClientPayload serialized, exactly as checked against the limits:
	// send these bytes.
	Body json.RawMessage
}

// Target is the repository and branch of the dispatch.
func (d Dispatch) Target() Target { return Target{Repo: d.Repo, Branch: d.Branch} }

// LimitError is a dispatch over one of GitHub's limits, with the limit and
// the actual figure.
type LimitError struct {
	What   string // "client_payload top-level keys", "client_payload size", "event_type length"
	Limit  int
	Actual int
	msg    string
}

func (e *LimitError) Error() string {
	if e.msg == "" {
		return fmt.Sprintf("%s: %d, GitHub's limit is %d", e.What, e.Actual, e.Limit)
	}
	return e.msg
}

// Validate checks a dispatch against GitHub's limits before it is sent: at
// most 10 top-level keys in client_payload, client_payload serialized under
// 65536 bytes, event_type 1 to 100 characters. The error is a *LimitError
// naming the limit and the actual figure.
func (d Dispatch) Validate() error {
	_, err := d.validate()
	return err
}

// validate checks the limits and returns the serialized client_payload.
func (d Dispatch) validate() (json.RawMessage, error) {
	if n := utf8.RuneCountInString(d.EventType); n < 1 || n > MaxEventTypeChars {
		return nil, &LimitError{What: "event_type length", Limit: MaxEventTypeChars, Actual: n, msg: eventTypeProblem(d.EventType)}
	}
	if n := len(d.ClientPayload); n > MaxClientPayloadKeys {
		return nil, &LimitError{What: "client_payload top-level keys", Limit: MaxClientPayloadKeys, Actual: n,
			msg: fmt.Sprintf("client_payload has %d top-level keys; GitHub allows at most %d", n, MaxClientPayloadKeys)}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if err := enc.Encode(d.ClientPayload); err != nil {
		return nil, fmt.Errorf("client_payload: %w", err)
	}
	body := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if n := len(body); n >= MaxClientPayloadBytes {
		return nil, &LimitError{What: "client_payload size", Limit: MaxClientPayloadBytes, Actual: n,
			msg: fmt.Sprintf("client_payload is %d bytes serialized; GitHub requires under %d bytes (64 KB)", n, MaxClientPayloadBytes)}
	}
	return body, nil
}
