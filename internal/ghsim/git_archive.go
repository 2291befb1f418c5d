package ghsim

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"net/http"
	"sort"
	"strings"
)

// getTarball answers GET /repos/{owner}/{repo}/tarball/{ref}: the tree of
// ref as a gzipped tar whose entries sit under one top directory
// (owner-repo-<7 hex of the commit>/), as GitHub's archive has them.
// GitHub answers with a 302 to codeload.github.com, which an HTTP client
// follows; the simulator answers the archive itself. A ref that does not
// resolve is a 404.
func (c *call) getTarball() *response {
	r, e := c.repo(levelRead)
	if e != nil {
		return e
	}
	ref := strings.Trim(c.params["ref"], "/")
	if ref == "" {
		ref = r.defaultBranch
	}
	cm := r.resolve(ref)
	if cm == nil {
		return errNotFound()
	}
	top := strings.ReplaceAll(r.fullName(), "/", "-") + "-" + cm.sha[:7] + "/"
	if r.archiveSHA != cm.sha {
		r.archiveSHA, r.archive = cm.sha, tarball(r, cm, top)
	}
	resp := &response{status: http.StatusOK, body: r.archive}
	resp.setHeader("Content-Type", "application/x-gzip")
	resp.setHeader("Content-Disposition", "attachment; filename="+strings.TrimSuffix(top, "/")+".tar.gz")
	return resp
}

// tarball is the gzipped tar of commit cm's tree under the directory top.
func tarball(r *repo, cm *commit, top string) []byte {
	paths := make([]string, 0, len(cm.tree))
	for p := range cm.tree {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var buf bytes.Buffer
	z, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	tw := tar.NewWriter(z)
	dirs := map[string]bool{}
	dir := func(name string) {
		if !dirs[name] {
			dirs[name] = true
			tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755}) //nolint:errcheck // a bytes.Buffer does not fail
		}
	}
	dir(top)
	for _, p := range paths {
		for i := strings.IndexByte(p, '/'); i >= 0; i = next(p, i) {
			dir(top + p[:i+1])
		}
		data := r.blobs[cm.tree[p]]
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: top + p, Mode: 0o644, Size: int64(len(data))}) //nolint:errcheck // as above
		tw.Write(data)                                                                                         //nolint:errcheck // as above
	}
	tw.Close() //nolint:errcheck // as above
	z.Close()  //nolint:errcheck // as above
	return buf.Bytes()
}

// next is the index of the next '/' in p after i, or -1.
func next(p string, i int) int {
	j := strings.IndexByte(p[i+1:], '/')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}
