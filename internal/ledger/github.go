package ledger

import (
	"github.com/ladder-release/ladder/internal/ledger/record"

	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
	"golang.org/x/sync/errgroup"

	"github.com/ladder-release/ladder/internal/gh"
)

// Branch is the branch of the workflow's repository that holds the ledger.
const Branch = "ladder-ledger"

// GitHubStore keeps the ledger as <product>.json on the ladder-ledger branch
// of a repository (`ledger: github`).
//
// Reads go through GET contents; a file over 1 MB comes back without its
// content ("encoding": "none") and is then read as a blob. Writes go through
// PUT contents with the blob sha that was read as the precondition: a 409
// (or a 422 about the sha) means another writer got there first, and Update
// reloads, applies fn again and retries, with jittered backoff. Every write
// is a commit whose message is the update's Message.
//
// The first write into a repository without the branch creates it as an
// orphan branch through the git data API: a tree holding only the ledger
// file, a commit of it with no parent, and the ref. So the branch shares
// nothing with the repository's code (no .github/workflows for GitHub to run
// on each ledger write) and its history is the audit trail alone. Another
// writer creating the branch first (422 "Reference already exists") is a
// conflict like any other. A branch that exists, made by an older ladder from
// the default branch's head or holding another product's ledger, is written
// through the contents API as it is.
//
// Layout (record.History): <product>.json is the state, and the segments,
// written once each, are <product>.history/000001.json, ... on the same
// branch. A write that changes only the state (the common case) is one PUT
// contents, as above. A write that adds segments is one commit through the
// git data API: the branch's head (GET ref), its tree (GET tree: the state's
// blob must still be the one read, or it is a conflict), a tree on it
// holding the new state and segments (POST trees with base_tree; a
// migration of a big schema-1 ledger chains several, each under
// treeBatchBytes), the commit, and PATCH ref without force: GitHub refuses
// an update that is not a fast forward (422), which is the compare-and-swap,
// a conflict like a 409 of PUT contents. ReadAll reads the branch's tarball
// (one request, state and segments of one commit), after the state.
//
// The last document seen is kept with its blob sha: when GET contents
// answers the same sha, it is reused rather than fetched and parsed again. A
// GitHubStore is safe for concurrent use.
//
// GitHub's contents API can answer an older version of the file for a while
// after a write, this store's own included, and a stale document looks as
// valid as a fresh one. So reads are monotonic per store (one run uses one):
// the store keeps the highest Revision it has read or written, and a read
// that answers a lower one (or no file, after a file) is read again, after
// 100ms, 200ms, 400ms, 800ms, then every second, for DefaultStaleReadWait in
// all (WithStaleReadWait; the waits go through WithClock), and then fails
// with ErrStaleRead. Update's own read does the same, so fn never runs on a
// document older than one the store has seen.
type GitHubStore struct {
	client      *github.Client
	owner, repo string
	product     string
	path        string
	set         settings

	mu          sync.Mutex
	cache       *ghCache
	branchReady bool
	mark        watermark
	last        *lastWrite // the last state-only write, for Compact

	compactMu sync.Mutex // one Compact at a time
}

type ghCache struct {
	sha string
	doc *Document
}

// GitHub returns the store for `ledger: github` in repo (owner/name).
func GitHub(client *github.Client, repo, product string, opts ...Option) (*GitHubStore, error) {
	if client == nil {
		return nil, errors.New("ledger: github needs a GitHub client")
	}
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("ledger: repository %q: want owner/name", repo)
	}
	if err := validProduct(product); err != nil {
		return nil, err
	}
	s, err := newSettings(opts)
	if err != nil {
		return nil, err
	}
	return &GitHubStore{client: client, owner: owner, repo: name, product: product, path: product + ".json", set: s}, nil
}

// Location names the file, for messages: owner/name@ladder-ledger:product.json.
func (s *GitHubStore) Location() string {
	return s.owner + "/" + s.repo + "@" + Branch + ":" + s.path
}

// Read returns the ledger's state, or an empty one when the file or the
// branch does not exist yet. It never writes.
func (s *GitHubStore) Read(ctx context.Context) (*Document, error) {
	doc, _, err := s.loadFresh(ctx)
	return doc, err
}

// ReadAll returns the whole ledger: the state, and when it counts segments,
// the branch's tarball (read again while it is older than the state).
func (s *GitHubStore) ReadAll(ctx context.Context) (*Document, error) {
	st, _, err := s.loadFresh(ctx)
	if err != nil || st.History == nil || st.History.Segments == 0 {
		return st, err
	}
	var waited time.Duration
	for reads := 1; ; reads++ {
		doc, err := s.tarball(ctx)
		if err != nil {
			return nil, err
		}
		if doc.Revision >= st.Revision {
			s.mark.saw(doc.Revision)
			return doc, nil
		}
		d := s.set.staleReadWait(reads, waited)
		if d <= 0 {
			return nil, &staleError{msg: fmt.Sprintf("the archive of branch %s of %s/%s answered revision %d of the ledger, "+
				"older than revision %d this run already saw, after %d reads over %s: GitHub served a stale read; rerun",
				Branch, s.owner, s.repo, doc.Revision, st.Revision, reads, waited)}
		}
		if err := s.set.clock.Sleep(ctx, d); err != nil {
			return nil, err
		}
		waited += d
	}
}

// wholeAt is the whole ledger at the revision of st, the state an Update
// read; errConflict when the branch has moved on (or the archive lags).
func (s *GitHubStore) wholeAt(ctx context.Context, st *Document) (*Document, error) {
	doc, err := s.tarball(ctx)
	if err != nil {
		return nil, err
	}
	if doc.Revision != st.Revision {
		return nil, fmt.Errorf("%w: the ledger's archive is at revision %d, the state read at %d", errConflict, doc.Revision, st.Revision)
	}
	return doc, nil
}

// tarball reads the branch's archive: the state and its segments, merged.
// The archive is read as it downloads, and its segments are parsed while
// the rest is still arriving (one parser per core).
func (s *GitHubStore) tarball(ctx context.Context) (*Document, error) {
	fail := func(err error) (*Document, error) {
		return nil, fmt.Errorf("reading the history of the ledger %s (the branch's tarball): %w", s.Location(), err)
	}
	req, err := s.client.NewRequest(http.MethodGet, fmt.Sprintf("repos/%s/%s/tarball/%s", s.owner, s.repo, Branch), nil)
	if err != nil {
		return fail(err)
	}
	pr, pw := io.Pipe()
	downloaded := make(chan struct{})
	go func() {
		defer close(downloaded)
		_, err := s.client.Do(ctx, req, pw)
		pw.CloseWithError(err) // nil: the reader meets io.EOF
	}()
	a, err := readArchive(pr, s.path, s.product)
	pr.CloseWithError(errors.New("the archive was read")) // a reader that stopped early ends the download
	<-downloaded
	if err != nil {
		return fail(err)
	}
	if a.state == nil {
		return fail(fmt.Errorf("no %s in it", s.path))
	}
	st, err := record.ParseOwned(a.state)
	if err != nil {
		return fail(err)
	}
	if err := checkProduct(st, s.product, s.Location()); err != nil {
		return nil, err
	}
	var segs []*Document
	if st.History != nil {
		// appended as found, not made for the count the state claims: a
		// corrupt count fails at its first missing segment
		n := st.History.Segments
		segs = make([]*Document, 0, min(n, len(a.segs)))
		for i := 1; i <= n; i++ {
			name := s.product + ".history/" + record.SegmentName(i)
			seg, ok := a.segs[i]
			if !ok {
				return fail(fmt.Errorf("the state counts %d segments; %s is missing", n, name))
			}
			if seg.err != nil {
				return fail(fmt.Errorf("%s: %w", name, seg.err))
			}
			segs = append(segs, seg.doc)
		}
	}
	return record.Merge(st, segs)
}

// Update applies fn and writes the result with the blob sha as precondition,
// reloading and applying fn again on a conflict.
func (s *GitHubStore) Update(ctx context.Context, msg Message, fn func(*Document) error) (*Document, error) {
	var last error
	for attempt := 1; attempt <= s.set.maxAttempts; attempt++ {
		if attempt > 1 {
			if err := s.set.clock.Sleep(ctx, s.set.wait(attempt-1)); err != nil {
				return nil, err
			}
		}
		doc, sha, err := s.loadFresh(ctx)
		if err != nil {
			return nil, err
		}
		migrating := doc.Schema != Schema // plan sets the schema: a migration splits in its one commit
		c, skip, err := plan(ctx, doc, fn, s.set.limits, s.wholeAt)
		if err != nil && !errors.Is(err, errConflict) {
			return nil, err
		}
		if skip {
			return c.doc, nil
		}
		if err == nil {
			switch {
			case len(c.segs) == 0:
				err = s.save(ctx, c.state, sha, msg)
			case s.set.deferSplit && sha != "" && !migrating && c.unsplit.EstimatedSize() <= deferCap*s.set.limits.High:
				err = s.save(ctx, c.unsplit, sha, msg) // Compact splits it
			default:
				err = s.commit(ctx, c.state, c.segs, sha, msg)
			}
		}
		if err == nil {
			s.mark.saw(c.state.Revision)
			return c.doc, nil
		}
		if !errors.Is(err, errConflict) {
			return nil, err
		}
		last = err
	}
	return nil, fmt.Errorf("updating the ledger %s (%s): %w after %d attempts (last: %v)",
		s.Location(), msg.Summary(), ErrConflict, s.set.maxAttempts, last)
}

var errConflict = errors.New("conflict")

// loadFresh is load, read again while it answers a revision older than the
// store has seen (see GitHubStore), within the stale-read wait. A stale
// document is not kept in the cache.
func (s *GitHubStore) loadFresh(ctx context.Context) (*Document, string, error) {
	floor := s.mark.get()
	var waited time.Duration
	for reads := 1; ; reads++ {
		doc, sha, parsed, err := s.load(ctx)
		if err != nil {
			return nil, "", err
		}
		if doc.Revision >= floor {
			if parsed {
				s.remember(sha, doc)
			}
			s.mark.saw(doc.Revision)
			return doc, sha, nil
		}
		d := s.set.staleReadWait(reads, waited)
		if d <= 0 {
			still := ""
			if waited > 0 {
				still = fmt.Sprintf(", and still did after %d reads over %s", reads, waited)
			}
			return nil, "", &staleError{msg: fmt.Sprintf("the ledger on branch %s of %s/%s (%s) answered revision %d, "+
				"older than revision %d this run already saw%s: GitHub served a stale read; rerun",
				Branch, s.owner, s.repo, s.path, doc.Revision, floor, still)}
		}
		if err := s.set.clock.Sleep(ctx, d); err != nil {
			return nil, "", err
		}
		waited += d
	}
}

// load reads the file: the document, the blob sha to write against (""
// when there is no file yet), and whether the document was parsed rather
// than taken from the cache. The cache is loadFresh's to update.
func (s *GitHubStore) load(ctx context.Context) (doc *Document, sha string, parsed bool, err error) {
	fc, dir, _, err := s.client.Repositories.GetContents(ctx, s.owner, s.repo, s.path,
		&github.RepositoryContentGetOptions{Ref: Branch})
	if gh.IsStatus(err, http.StatusNotFound) {
		if a, _ := gh.AsAPIError(err); a != nil && strings.Contains(a.Message, "No commit found") {
			s.setBranchReady(false)
			return NewDocument(s.product), "", false, nil // no ledger branch yet
		}
		// GitHub says 404 for a file that does not exist and for a repository
		// the token cannot see: only the first is an empty ledger.
		if _, _, rerr := s.client.Repositories.Get(ctx, s.owner, s.repo); rerr != nil {
			return nil, "", false, fmt.Errorf("reading the ledger %s: the repository %s/%s cannot be read with this token (check GITHUB_REPOSITORY and the token's contents permission): %w", s.Location(), s.owner, s.repo, rerr)
		}
		return NewDocument(s.product), "", false, nil
	}
	if err != nil {
		return nil, "", false, fmt.Errorf("reading the ledger %s: %w", s.Location(), err)
	}
	if fc == nil {
		return nil, "", false, fmt.Errorf("reading the ledger %s: it is a directory (%d entries), not a file", s.Location(), len(dir))
	}
	s.setBranchReady(true)
	sha = fc.GetSHA()
	if sha == "" {
		return nil, "", false, fmt.Errorf("reading the ledger %s: GitHub gave no blob sha", s.Location())
	}
	s.mu.Lock()
	c := s.cache
	s.mu.Unlock()
	if c != nil && c.sha == sha {
		return c.doc.Clone(), sha, false, nil
	}

	var data []byte
	content := ""
	if fc.Content != nil {
		content = *fc.Content
	}
	switch enc := fc.GetEncoding(); {
	case enc == "base64":
		data, err = base64.StdEncoding.DecodeString(strings.NewReplacer("\n", "", "\r", "").Replace(content))
		if err != nil {
			return nil, "", false, fmt.Errorf("reading the ledger %s: content is not base64: %w", s.Location(), err)
		}
	case enc == "none" || (enc == "" && content == "" && fc.GetSize() > 0):
		// Over 1 MB: the contents API leaves the content out; the blob has it.
		data, err = s.blob(ctx, sha, fc.GetSize())
		if err != nil {
			return nil, "", false, fmt.Errorf("reading the ledger %s (blob %s): %w", s.Location(), sha, err)
		}
	case enc == "":
		data = []byte(content)
	default:
		return nil, "", false, fmt.Errorf("reading the ledger %s: unknown content encoding %q", s.Location(), enc)
	}
	doc, err = record.ParseOwned(data)
	if err != nil {
		return nil, "", false, fmt.Errorf("%s: %w", s.Location(), err)
	}
	if err := checkProduct(doc, s.product, s.Location()); err != nil {
		return nil, "", false, err
	}
	return doc, sha, true, nil
}

func (s *GitHubStore) remember(sha string, doc *Document) {
	c := &ghCache{sha: sha, doc: doc.Clone()}
	s.mu.Lock()
	s.cache = c
	s.mu.Unlock()
}

func (s *GitHubStore) setBranchReady(v bool) {
	s.mu.Lock()
	s.branchReady = v
	s.mu.Unlock()
}

// save writes doc if the file's blob is still sha; errConflict otherwise.
func (s *GitHubStore) save(ctx context.Context, doc *Document, sha string, msg Message) error {
	if created, err := s.createBranch(ctx, doc, nil, sha, msg); err != nil || created {
		return err
	}
	body := contentsBody(msg.String(), Branch, sha, doc.Marshal())
	u := fmt.Sprintf("repos/%s/%s/contents/%s", s.owner, s.repo, (&url.URL{Path: s.path}).EscapedPath())
	req, err := s.client.NewRequest(http.MethodPut, u, nil)
	if err != nil {
		return fmt.Errorf("writing the ledger %s: %w", s.Location(), err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	req.ContentLength = int64(len(body))
	res := new(github.RepositoryContentResponse)
	_, err = s.client.Do(ctx, req, res)
	if err != nil {
		a, ok := gh.AsAPIError(err)
		switch {
		case ok && a.Status == http.StatusConflict:
			return fmt.Errorf("%w: %s", errConflict, a.Message)
		case ok && a.Status == http.StatusUnprocessableEntity && strings.Contains(strings.ToLower(a.Message), "sha"):
			// "sha" wasn't supplied: someone created the file after we
			// found none; or a sha GitHub does not accept for it.
			return fmt.Errorf("%w: %s", errConflict, a.Message)
		case ok && a.Status == http.StatusNotFound && strings.Contains(strings.ToLower(a.Message), "branch"):
			s.setBranchReady(false) // deleted under us: create it again
			return fmt.Errorf("%w: %s", errConflict, a.Message)
		}
		return fmt.Errorf("writing the ledger %s (%s): %w", s.Location(), msg.Summary(), err)
	}
	newSHA := res.GetContent().GetSHA()
	s.setBranchReady(true)
	// doc is the caller's (Update returns it, and the caller goes on with it
	// while Compact runs): the cache and Compact keep a copy of their own,
	// which nothing changes
	kept := doc.Clone()
	s.mu.Lock()
	if newSHA != "" {
		s.cache = &ghCache{sha: newSHA, doc: kept}
	}
	if cm := res.Commit; cm.GetSHA() != "" && cm.GetTree().GetSHA() != "" {
		// the summary as written (Describe reads the caller's variables)
		s.last = &lastWrite{commit: cm.GetSHA(), tree: cm.GetTree().GetSHA(), state: kept,
			msg: Message{What: msg.Summary(), Actor: msg.Actor, Run: msg.Run}}
	}
	s.mu.Unlock()
	return nil
}

// lastWrite is this store's last state-only write: the commit it made, that
// commit's tree, and the state written (Compact's starting point).
type lastWrite struct {
	commit, tree string
	state        *Document
	msg          Message
}

// Compact moves what a deferred split left in the state (WithDeferredSplit)
// into history segments: one commit on top of this store's last write, made
// from that commit's tree (no read), moving the branch without force. When
// the branch has moved on since (another write, which splits or leaves the
// split to its own Compact), nothing is written and Compact returns nil: the
// ledger is whole either way, a state only somewhat bigger. Safe for
// concurrent use; a second call after the first has nothing to do.
func (s *GitHubStore) Compact(ctx context.Context) error {
	s.compactMu.Lock()
	defer s.compactMu.Unlock()
	s.mu.Lock()
	lw := s.last
	s.last = nil
	s.mu.Unlock()
	if lw == nil {
		return nil
	}
	st, segs := record.Split(lw.state, s.set.limits)
	if len(segs) == 0 {
		return nil
	}
	if err := st.Validate(); err != nil {
		return fmt.Errorf("compacting the ledger %s: refusing to write the state: %w", s.Location(), err)
	}
	first, last := segs[0].Segment(), segs[len(segs)-1].Segment()
	what := fmt.Sprintf("move the oldest of the ledger into history segment %d", first)
	if last != first {
		what = fmt.Sprintf("move the oldest of the ledger into history segments %d to %d", first, last)
	}
	msg := Message{What: what + " (after: " + lw.msg.Summary() + ")", Actor: lw.msg.Actor, Run: lw.msg.Run}
	err := s.commitOn(ctx, lw.commit, lw.tree, st, segs, msg)
	if errors.Is(err, errConflict) {
		return nil // the branch moved on: a later write splits
	}
	return err
}

// contentsBody is the JSON of a PUT contents request, written in one buffer:
// go-github would marshal the content as a []byte (base64 through
// encoding/json, then buffered again), several copies of a 10 MB body.
func contentsBody(message, branch, sha string, content []byte) []byte {
	n := base64.StdEncoding.EncodedLen(len(content))
	b := make([]byte, 0, n+2*len(message)+len(branch)+len(sha)+96)
	b = append(b, `{"message":`...)
	b = record.AppendString(b, message)
	b = append(b, `,"branch":`...)
	b = record.AppendString(b, branch)
	if sha != "" {
		b = append(b, `,"sha":`...)
		b = record.AppendString(b, sha)
	}
	b = append(b, `,"content":"`...)
	off := len(b)
	b = b[:off+n]
	base64.StdEncoding.Encode(b[off:], content)
	return append(b, `"}`...)
}

// blob reads a blob raw, into a buffer of the size GET contents announced
// (go-github's GetBlobRaw grows a bytes.Buffer to twice that).
func (s *GitHubStore) blob(ctx context.Context, sha string, size int) ([]byte, error) {
	req, err := s.client.NewRequest(http.MethodGet, fmt.Sprintf("repos/%s/%s/git/blobs/%s", s.owner, s.repo, sha), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/vnd.github.v3.raw") // as go-github's GetBlobRaw
	w := &sink{b: make([]byte, 0, max(size, 0)+1)}
	if _, err := s.client.Do(ctx, req, w); err != nil {
		return nil, err
	}
	return w.b, nil
}

// treeBatchBytes bounds the content of one POST trees: a migration writing
// many segments chains trees (each on the one before as base_tree), so that
// no request body is huge.
const treeBatchBytes = 8 << 20

// createTree makes a tree on base ("": none) holding the state st and the
// segments segs. The documents are JSON, valid UTF-8 (Marshal escapes what
// is not), so each travels as its tree entry's content and the blob is its
// exact bytes.
func (s *GitHubStore) createTree(ctx context.Context, base string, st *Document, segs []*Document) (*github.Tree, error) {
	entry := func(path string, data []byte) *github.TreeEntry {
		return &github.TreeEntry{Path: github.String(path), Mode: github.String("100644"), Type: github.String("blob"),
			Content: github.String(string(data))}
	}
	var batch []*github.TreeEntry
	size := 0
	for _, seg := range segs {
		data := seg.Marshal()
		if size > 0 && size+len(data) > treeBatchBytes {
			t, _, err := s.client.Git.CreateTree(ctx, s.owner, s.repo, base, batch)
			if err != nil {
				return nil, err
			}
			base, batch, size = t.GetSHA(), nil, 0
		}
		batch = append(batch, entry(s.product+".history/"+record.SegmentName(seg.Segment()), data))
		size += len(data)
	}
	batch = append(batch, entry(s.path, st.Marshal()))
	t, _, err := s.client.Git.CreateTree(ctx, s.owner, s.repo, base, batch)
	return t, err
}

// commit writes the state st and the new segments segs in one commit on the
// branch, if the state's blob is still sha; errConflict otherwise (see
// GitHubStore).
func (s *GitHubStore) commit(ctx context.Context, st *Document, segs []*Document, sha string, msg Message) error {
	if created, err := s.createBranch(ctx, st, segs, sha, msg); err != nil || created {
		return err
	}
	fail := func(what string, err error) error {
		return fmt.Errorf("writing the ledger %s (%s): %s: %w", s.Location(), msg.Summary(), what, err)
	}
	ref, _, err := s.client.Git.GetRef(ctx, s.owner, s.repo, "heads/"+Branch)
	if gh.IsStatus(err, http.StatusNotFound) {
		s.setBranchReady(false) // deleted under us: create it again
		return fmt.Errorf("%w: the ledger branch is gone", errConflict)
	}
	if err != nil {
		return fail("reading the branch", err)
	}
	head := ref.GetObject().GetSHA()
	tree, _, err := s.client.Git.GetTree(ctx, s.owner, s.repo, head, false)
	if err != nil {
		return fail("reading the branch's tree", err)
	}
	have := ""
	for _, e := range tree.Entries {
		if e.GetPath() == s.path {
			have = e.GetSHA()
		}
	}
	if have != sha {
		return fmt.Errorf("%w: the ledger's state changed since it was read", errConflict)
	}
	return s.commitOn(ctx, head, tree.GetSHA(), st, segs, msg)
}

// commitOn writes the state st and the segments segs in one commit whose
// parent is head (with tree baseTree), and moves the branch to it without
// force: errConflict when the branch is no longer at head.
func (s *GitHubStore) commitOn(ctx context.Context, head, baseTree string, st *Document, segs []*Document, msg Message) error {
	fail := func(what string, err error) error {
		return fmt.Errorf("writing the ledger %s (%s): %s: %w", s.Location(), msg.Summary(), what, err)
	}
	nt, err := s.createTree(ctx, baseTree, st, segs)
	if err != nil {
		return fail("creating the tree", err)
	}
	c, _, err := s.client.Git.CreateCommit(ctx, s.owner, s.repo, &github.Commit{
		Message: github.String(msg.String()), Tree: &github.Tree{SHA: nt.SHA}, Parents: []*github.Commit{{SHA: github.String(head)}},
	}, nil)
	if err != nil {
		return fail("creating the commit", err)
	}
	_, _, err = s.client.Git.UpdateRef(ctx, s.owner, s.repo, &github.Reference{
		Ref: github.String("refs/heads/" + Branch), Object: &github.GitObject{SHA: c.SHA},
	}, false)
	if err != nil {
		if a, ok := gh.AsAPIError(err); ok && (a.Status == http.StatusConflict ||
			a.Status == http.StatusUnprocessableEntity && strings.Contains(strings.ToLower(a.Message), "fast forward")) {
			return fmt.Errorf("%w: %s", errConflict, a.Message)
		}
		return fail("moving the branch", err)
	}
	for _, e := range nt.Entries {
		if e.GetPath() == s.path && e.GetSHA() != "" {
			s.remember(e.GetSHA(), st)
		}
	}
	return nil
}

// maxArchiveFile bounds a file untar keeps: far above any ladder writes (a
// segment is under 1 MB, the state a few tens of KB), so that a corrupt or
// hostile archive cannot have a header's size allocated.
const maxArchiveFile = 32 << 20

// archive is what readArchive found: the state's bytes, and each segment
// parsed (or its error), by number.
type archive struct {
	state []byte
	segs  map[int]parsedSegment
}

type parsedSegment struct {
	doc *Document
	err error
}

// readArchive reads a gzipped tar archive whose entries sit under one top
// directory (GitHub's archives): the file state, and the segments of
// product under product.history/, each parsed by a worker as soon as it is
// read. Other files are skipped; a file over maxArchiveFile is an error.
func readArchive(r io.Reader, state, product string) (*archive, error) {
	z, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	dir := product + ".history/"
	a := &archive{segs: map[int]parsedSegment{}}
	var mu sync.Mutex
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	defer g.Wait() //nolint:errcheck // the workers report through a.segs
	tr := tar.NewReader(z)
	for {
		hd, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		_, name, ok := strings.Cut(hd.Name, "/")
		if !ok || hd.Typeflag != tar.TypeReg || name != state && !strings.HasPrefix(name, dir) {
			continue
		}
		n := 0
		if name != state {
			base := strings.TrimPrefix(name, dir)
			if n, err = strconv.Atoi(strings.TrimSuffix(base, ".json")); err != nil || n < 1 || record.SegmentName(n) != base {
				continue // not a segment's name
			}
		}
		if hd.Size > maxArchiveFile {
			return nil, fmt.Errorf("%s: %d bytes, over the %d a file of the ledger may hold (a segment is under 1 MB)", name, hd.Size, maxArchiveFile)
		}
		b := make([]byte, hd.Size)
		if _, err := io.ReadFull(tr, b); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if name == state {
			a.state = b
			continue
		}
		g.Go(func() error {
			doc, err := record.ParseSegment(b, product, n)
			mu.Lock()
			a.segs[n] = parsedSegment{doc: doc, err: err}
			mu.Unlock()
			return nil
		})
	}
	g.Wait() //nolint:errcheck // as above
	return a, nil
}

// sink collects a body without the doubling growth of bytes.Buffer.
type sink struct{ b []byte }

func (w *sink) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// createBranch makes the first write when the ledger branch does not exist:
// an orphan branch whose first commit holds doc as the only file (created is
// true). When the branch exists, or may (the write replaces a blob, sha, or
// the branch is known to be there), it writes nothing and the caller writes
// the file. Another writer creating the branch first is errConflict: reload,
// apply again, write on its branch.
func (s *GitHubStore) createBranch(ctx context.Context, doc *Document, segs []*Document, sha string, msg Message) (created bool, err error) {
	s.mu.Lock()
	ready := s.branchReady
	s.mu.Unlock()
	if sha != "" || ready {
		return false, nil
	}
	_, _, err = s.client.Git.GetRef(ctx, s.owner, s.repo, "heads/"+Branch)
	if err == nil {
		s.setBranchReady(true)
		return false, nil
	}
	if !gh.IsStatus(err, http.StatusNotFound) {
		return false, fmt.Errorf("looking for the ledger branch %s in %s/%s: %w", Branch, s.owner, s.repo, err)
	}
	fail := func(what string, err error) error {
		return fmt.Errorf("creating the ledger branch %s in %s/%s (%s): %s: %w", Branch, s.owner, s.repo, msg.Summary(), what, err)
	}
	tree, err := s.createTree(ctx, "", doc, segs)
	if err != nil {
		return false, fail("creating its tree", err)
	}
	commit, _, err := s.client.Git.CreateCommit(ctx, s.owner, s.repo, &github.Commit{
		Message: github.String(msg.String()),
		Tree:    &github.Tree{SHA: tree.SHA},
		// no parents: the branch's first commit, unrelated to any other branch
	}, nil)
	if err != nil {
		return false, fail("creating its first commit", err)
	}
	_, _, err = s.client.Git.CreateRef(ctx, s.owner, s.repo, &github.Reference{
		Ref:    github.String("refs/heads/" + Branch),
		Object: &github.GitObject{SHA: commit.SHA},
	})
	if err != nil {
		if a, ok := gh.AsAPIError(err); ok && a.Status == http.StatusUnprocessableEntity && strings.Contains(a.Message, "already exists") {
			// Another writer made the branch (or this one did, and the
			// answer was lost): its ledger is the one to apply fn to.
			s.setBranchReady(true)
			return false, fmt.Errorf("%w: the ledger branch was created by another writer: %s", errConflict, a.Message)
		}
		return false, fail("creating the ref", err)
	}
	s.setBranchReady(true)
	for _, e := range tree.Entries {
		if e.GetPath() == s.path && e.GetSHA() != "" {
			s.remember(e.GetSHA(), doc)
		}
	}
	return true, nil
}
