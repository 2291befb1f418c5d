package ghsim

import (
	"net/http"
	"net/url"
	"strings"
)

// Fault scripts the answer to the next Times requests matching Method and
// Path. Faults are matched in the order they were injected; a request takes
// the first one that matches and still has uses left.
//
// Faulted requests are logged and counted per route, but not against the
// rate limit. Their answers carry the caller's usual x-ratelimit-* headers,
// which Header overrides (e.g. "X-Ratelimit-Remaining": "0").
type Fault struct {
	// Method matches the request method; "" matches any.
	Method string
	// Path matches the request path without the prefix, escaped as sent:
	// "*" matches within one segment, "**" across segments
	// ("/repos/acme/app/contents/**"). "" matches any path.
	Path string
	// Times is how many requests the fault answers (0 means 1).
	Times int

	// Before, if set, runs before the request is answered (without any
	// lock held, so it may call the Server's seeding methods: a concurrent
	// writer between a GET and a PUT).
	Before func()
	// Drop closes the connection without an answer.
	Drop bool
	// Stale answers a read of a file through the contents API (JSON or raw)
	// as a lagging replica would after a write: the file as it was before
	// its last change on the ref read, content and blob sha; a file that had
	// no earlier version is not found. Blobs are content addressed, so a
	// blob read by the sha such an answer gave is the earlier content too.
	// Other requests it matches are answered normally; Status and Drop win
	// over it.
	Stale bool
	// Status is the answer's status; 0 (with Drop false) answers the
	// request normally, after Before.
	Status int
	// Header is added to the answer.
	Header map[string]string
	// Body is the raw answer body; when empty, GitHub's error body is sent
	// with Message (default: the status text).
	Body    string
	Message string

	left int
}

// Inject adds a scripted fault.
func (s *Server) Inject(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	f.left = f.Times
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// StaleReads makes the next n GET requests of the contents API for path (a
// file of the repository fullName, on any ref) answer the file's previous
// version: replica lag after a write (Fault.Stale).
func (s *Server) StaleReads(fullName, path string, n int) {
	s.Inject(Fault{Method: http.MethodGet, Path: "/repos/" + fullName + "/contents/" + (&url.URL{Path: strings.Trim(path, "/")}).EscapedPath(),
		Times: n, Stale: true})
}

// PendingFaults is how many injected fault uses are left.
func (s *Server) PendingFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, f := range s.faults {
		n += f.left
	}
	return n
}

func (s *Server) takeFault(method, path string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Method != "" && !strings.EqualFold(f.Method, method) {
			continue
		}
		if f.Path != "" && !globMatch(f.Path, path) {
			continue
		}
		f.left--
		if f.left == 0 {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		}
		return f
	}
	return nil
}

func (s *Server) faultResponse(r *http.Request, f *Fault) *response {
	var resp *response
	if f.Body != "" {
		resp = &response{status: f.Status, body: []byte(f.Body)}
	} else {
		msg := f.Message
		if msg == "" {
			msg = http.StatusText(f.Status)
		}
		resp = apiError(f.Status, msg)
		if f.Status < 400 {
			resp.body = nil
		}
	}
	s.mu.Lock()
	s.rateHeaders(resp, bearer(r.Header.Get("Authorization")))
	s.mu.Unlock()
	for k, v := range f.Header {
		resp.setHeader(k, v)
	}
	return resp
}

// globMatch matches name against pattern, where "*" matches any run of
// characters other than "/" and "**" any run at all.
func globMatch(pattern, name string) bool {
	for len(pattern) > 0 {
		if strings.HasPrefix(pattern, "**") {
			rest := pattern[2:]
			for i := 0; i <= len(name); i++ {
				if globMatch(rest, name[i:]) {
					return true
				}
			}
			return false
		}
		if pattern[0] == '*' {
			rest := pattern[1:]
			for i := 0; i <= len(name); i++ {
				if globMatch(rest, name[i:]) {
					return true
				}
				if i < len(name) && name[i] == '/' {
					return false
				}
			}
			return false
		}
		if len(name) == 0 || pattern[0] != name[0] {
			return false
		}
		pattern, name = pattern[1:], name[1:]
	}
	return len(name) == 0
}
