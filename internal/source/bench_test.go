package source

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

// BenchmarkTags2000: one tag listing of 2,000 tags (the resolve benchmark's
// 200 x 2,000 makes 200 of these) from a server that answers at once with
// fixed bytes: the client's CPU and allocations alone.
func BenchmarkTags2000(b *testing.B) {
	var ls strings.Builder
	for i := 0; i < 2000; i++ {
		line := fmt.Sprintf("%040x refs/tags/v%d.%d.%d\n", i+1, i/400, i/20%20, i%20)
		fmt.Fprintf(&ls, "%04x%s", len(line)+4, line)
	}
	ls.WriteString("0000")
	answer := ls.String()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "application/x-git-upload-pack-advertisement")
			fmt.Fprint(w, "001e# service=git-upload-pack\n0000000eversion 2\n000cls-refs\n0000")
			return
		}
		w.Header().Set("Content-Type", "application/x-git-upload-pack-result")
		fmt.Fprint(w, answer)
	}))
	defer srv.Close()
	g, err := NewGitHTTP(srv.URL, srv.Client())
	if err != nil {
		b.Fatal(err)
	}
	src, err := NewGitHub(github.NewClient(nil), g, "acme/app")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		tags, err := src.Tags(context.Background(), "")
		if err != nil || len(tags) != 2000 {
			b.Fatal(len(tags), err)
		}
	}
}
