package changes

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/lock"
)

func sha(c byte) string { return strings.Repeat(string(c), 40) }

func entry(name, repo, version string, commit byte) lock.Entry {
	e := lock.Entry{Name: name, Ref: "refs/tags/v" + version, Version: version, Commit: sha(commit)}
	if strings.Contains(repo, "://") {
		e.Git = repo
	} else {
		e.Repo = repo
	}
	return e
}

func lk(es ...lock.Entry) lock.Lock { return lock.Lock{Schema: 1, Product: "p", Components: es} }

// plain is an escape that marks what went through it, so a test sees that
// untrusted text was escaped and the table's markup was not.
func plain(s string) string { return "{" + s + "}" }

func commits(n int) []Commit {
	out := make([]Commit, n)
	for i := range out {
		out[i] = Commit{SHA: fmt.Sprintf("%040x", i+1), Subject: fmt.Sprintf("change %d\n\nbody", i+1), Author: "Ann"}
	}
	return out
}

func TestPlan(t *testing.T) {
	t.Parallel()
	from := lk(entry("cli", "acme/cli", "1.0.0", 'a'), entry("same", "acme/same", "1.0.0", 'b'),
		entry("os", "https://git.example/os", "1.0.0", 'c'), entry("moved", "acme/old", "1.0.0", 'd'), entry("gone", "acme/gone", "1", 'e'))
	to := lk(entry("cli", "ACME/cli", "1.1.0", '1'), entry("same", "acme/same", "1.0.0", 'b'),
		entry("os", "https://git.example/os", "1.1.0", '2'), entry("moved", "acme/new", "1.0.0", '3'), entry("new", "acme/new", "1", '4'))
	got := Plan(from, to)
	want := []Request{{Component: "cli", Repo: "ACME/cli", Base: sha('a'), Head: sha('1')}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Plan = %+v, want %+v (one compare: the repo: component whose commit changed, in the same repository)", got, want)
	}
}

func TestBuild(t *testing.T) {
	t.Parallel()
	old := entry("cli", "acme/cli", "1.0.0", 'a')
	newer := entry("cli", "acme/cli", "1.1.0", 'b')
	url := "https://github.com/acme/cli/compare/" + sha('a') + "..." + sha('b')
	for _, c := range []struct {
		name   string
		from   lock.Lock
		to     lock.Lock
		answer *Compare
		want   Change
	}{
		{name: "unchanged: identical, no compare", from: lk(old), to: lk(old),
			want: Change{Status: Identical, Commits: count(0), From: sha('a'), To: sha('a')}},
		{name: "ahead: the count, the subjects' first lines with their authors, the link", from: lk(old), to: lk(newer),
			answer: &Compare{Status: "ahead", AheadBy: 2, TotalCommits: 2, Commits: commits(2), URL: url},
			want: Change{Status: Ahead, Commits: count(2), URL: url, From: sha('a'), To: sha('b'),
				Subjects: []Commit{{SHA: fmt.Sprintf("%040x", 1), Subject: "change 1", Author: "Ann"}, {SHA: fmt.Sprintf("%040x", 2), Subject: "change 2", Author: "Ann"}}}},
		{name: "force-pushed: diverged, what the new one brings", from: lk(old), to: lk(newer),
			answer: &Compare{Status: "diverged", AheadBy: 1, BehindBy: 3, TotalCommits: 1, Commits: commits(1), URL: url},
			want: Change{Status: Diverged, Commits: count(1), BehindBy: 3, URL: url, From: sha('a'), To: sha('b'),
				Subjects: []Commit{{SHA: fmt.Sprintf("%040x", 1), Subject: "change 1", Author: "Ann"}}}},
		{name: "rolled back: behind, nothing brought", from: lk(newer), to: lk(old),
			answer: &Compare{Status: "behind", BehindBy: 2, URL: url},
			want:   Change{Status: Behind, Commits: count(0), BehindBy: 2, URL: url, From: sha('b'), To: sha('a')}},
		{name: "more than shown: the count and the first 20", from: lk(old), to: lk(newer),
			answer: &Compare{Status: "ahead", AheadBy: 300, TotalCommits: 300, Commits: commits(250), URL: url},
			want: Change{Status: Ahead, Commits: count(300), URL: url, From: sha('a'), To: sha('b'), Subjects: func() []Commit {
				cs := commits(Shown)
				for i := range cs {
					cs[i].Subject = Subject(cs[i].Subject)
				}
				return cs
			}()}},
		{name: "API error: unknown, saying why", from: lk(old), to: lk(newer),
			answer: &Compare{Err: "GET compare: 502 Bad Gateway"},
			want:   Change{Status: Unknown, From: sha('a'), To: sha('b'), Note: "the changes are unknown: GET compare: 502 Bad Gateway"}},
		{name: "no answer: unknown", from: lk(old), to: lk(newer),
			want: Change{Status: Unknown, From: sha('a'), To: sha('b'), Note: "not compared"}},
		{name: "a status GitHub does not document: unknown", from: lk(old), to: lk(newer),
			answer: &Compare{Status: "sideways", TotalCommits: 4},
			want:   Change{Status: Unknown, From: sha('a'), To: sha('b'), Note: `the changes are unknown: GitHub answered status "sideways"`}},
		{name: "git: the commit range", from: lk(entry("cli", "https://git.example/cli", "1.0.0", 'a')), to: lk(entry("cli", "https://git.example/cli", "1.1.0", 'b')),
			want: Change{Status: Unknown, From: sha('a'), To: sha('b'), Range: sha('a') + ".." + sha('b'), Note: "a git: component: the commit range, no compare API"}},
		{name: "git: unchanged is identical", from: lk(entry("cli", "https://git.example/cli", "1.0.0", 'a')), to: lk(entry("cli", "https://git.example/cli", "1.0.0", 'a')),
			want: Change{Status: Identical, Commits: count(0), From: sha('a'), To: sha('a')}},
		{name: "the source moved: a git remote's credentials stay out", from: lk(entry("cli", "https://git.example/cli", "1.0.0", 'a')),
			to:   lk(entry("cli", "https://x-access-token:ghs_Secret123@git.example/cli2", "1.1.0", 'b')),
			want: Change{Status: Unknown, From: sha('a'), To: sha('b'), Note: "the source changed from git https://git.example/cli to git https://git.example/cli2: no commits to compare"}},
		{name: "git: a rotated token moves nothing", from: lk(entry("cli", "https://x-access-token:ghs_Old@git.example/cli", "1.0.0", 'a')),
			to:   lk(entry("cli", "https://x-access-token:ghs_New@git.example/cli", "1.0.0", 'a')),
			want: Change{Status: Identical, Commits: count(0), From: sha('a'), To: sha('a')}},
		{name: "the source moved: unknown", from: lk(old), to: lk(entry("cli", "other/cli", "1.1.0", 'b')),
			want: Change{Status: Unknown, From: sha('a'), To: sha('b'), Note: "the source changed from repo acme/cli to repo other/cli: no commits to compare"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			answers := map[string]Compare{}
			if c.answer != nil {
				answers["cli"] = *c.answer
			}
			got := Build(c.from, c.to, answers)
			if len(got.Changes) != 1 {
				t.Fatalf("changes %+v", got.Changes)
			}
			w := c.want
			w.Component, w.FromVersion, w.ToVersion = "cli", c.from.Components[0].Version, c.to.Components[0].Version
			if w.Subjects == nil {
				w.Subjects = []Commit{}
			}
			if !reflect.DeepEqual(got.Changes[0], w) {
				t.Errorf("got  %s\nwant %s", show(got.Changes[0]), show(w))
			}
		})
	}
}

func show(c Change) string {
	b, _ := json.Marshal(c)
	return string(b)
}

func TestBuildAddedRemovedInOrder(t *testing.T) {
	t.Parallel()
	from := lk(entry("a", "acme/a", "1", 'a'), entry("gone", "acme/gone", "1", 'b'))
	to := lk(entry("new", "acme/new", "1", 'c'), entry("a", "acme/a", "1", 'a'))
	var got []string
	for _, c := range Build(from, to, nil).Changes {
		got = append(got, c.Component+":"+string(c.Status))
	}
	if want := "new:added a:identical gone:removed"; strings.Join(got, " ") != want {
		t.Errorf("got %v, want %s (the new lock's order, then what only the old one has)", got, want)
	}
}

func TestJSON(t *testing.T) {
	t.Parallel()
	s := Build(lk(entry("cli", "acme/cli", "1.0.0", 'a'), entry("os", "https://git.example/os", "1", 'c')),
		lk(entry("cli", "acme/cli", "1.1.0", 'b'), entry("os", "https://git.example/os", "1", 'c')),
		map[string]Compare{"cli": {Status: "ahead", TotalCommits: 1, Commits: []Commit{{SHA: sha('b'), Subject: "fix", Author: "Bo"}}, URL: "https://x/compare"}})
	var got map[string]map[string]any
	if err := json.Unmarshal([]byte(s.JSON()), &got); err != nil {
		t.Fatal(err)
	}
	cli := got["cli"]
	if cli["from"] != sha('a') || cli["to"] != sha('b') || cli["commits"] != 1.0 || cli["url"] != "https://x/compare" || cli["status"] != "ahead" {
		t.Errorf("cli %v", cli)
	}
	if subj, _ := cli["subjects"].([]any); len(subj) != 1 || !reflect.DeepEqual(subj[0], map[string]any{"sha": sha('b'), "subject": "fix", "author": "Bo"}) {
		t.Errorf("subjects %v", cli["subjects"])
	}
	if os := got["os"]; os["status"] != "identical" || os["commits"] != 0.0 {
		t.Errorf("os %v", os)
	}
	unknown := Build(lk(entry("cli", "acme/cli", "1", 'a')), lk(entry("cli", "acme/cli", "2", 'b')), map[string]Compare{"cli": {Err: "boom"}})
	if !strings.Contains(unknown.JSON(), `"commits":null`) || !strings.Contains(unknown.JSON(), `"status":"unknown"`) {
		t.Errorf("an unknown count is null, never 0: %s", unknown.JSON())
	}
	if got := (Set{}).JSON(); got != "{}" {
		t.Errorf("empty set: %s", got)
	}
}

func TestMarkdown(t *testing.T) {
	t.Parallel()
	url := "https://github.com/acme/cli/compare/a...b"
	s := Build(
		lk(entry("cli", "acme/cli", "1.0.0", 'a'), entry("os", "https://git.example/os", "1.0", 'c'), entry("tk", "acme/tk", "2", 'e')),
		lk(entry("cli", "acme/cli", "1.1.0", 'b'), entry("os", "https://git.example/os", "1.1", 'd'), entry("tk", "acme/tk", "3", 'f')),
		map[string]Compare{
			"cli": {Status: "ahead", TotalCommits: 25, Commits: commits(25), URL: url},
			"tk":  {Err: "compare: 404 Not Found"},
		})
	md := s.Markdown(plain)
	lines := strings.Split(strings.TrimSuffix(md, "\n"), "\n")
	if len(lines) != 5 || lines[0] != "| component | from | to | status | commits | changes |" {
		t.Fatalf("table:\n%s", md)
	}
	cli := lines[2]
	for _, want := range []string{"| {cli} | {1.0.0 aaaaaaa} | {1.1.0 bbbbbbb} | ahead | [25](<" + url + ">) | ", "{0000000 change 1} ({Ann})<br>", "{0000000 change 20} ({Ann})<br>and 5 more |"} {
		if !strings.Contains(cli, want) {
			t.Errorf("cli row lacks %q:\n%s", want, cli)
		}
	}
	if strings.Contains(cli, "change 21") {
		t.Errorf("more than %d subjects shown:\n%s", Shown, cli)
	}
	if want := "| {os} | {1.0 ccccccc} | {1.1 ddddddd} | unknown | unknown | {ccccccc..ddddddd}<br>{a git: component: the commit range, no compare API} |"; lines[3] != want {
		t.Errorf("os row\n got %s\nwant %s", lines[3], want)
	}
	if want := "| {tk} | {2 eeeeeee} | {3 fffffff} | unknown | unknown | {the changes are unknown: compare: 404 Not Found} |"; lines[4] != want {
		t.Errorf("tk row\n got %s\nwant %s", lines[4], want)
	}
	if (Set{}).Markdown(plain) != "" {
		t.Error("an empty set renders something")
	}
}

func TestSafeURL(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, in, want string
		ok             bool
	}{
		{"a compare view", "https://github.com/acme/cli/compare/a...b", "https://github.com/acme/cli/compare/a...b", true},
		{"GHES over http", "http://ghe.local/a/b/compare/x...y", "http://ghe.local/a/b/compare/x...y", true},
		{"javascript is no link", "javascript:alert(1)", "", false},
		{"relative is no link", "/acme/cli/compare/a...b", "", false},
		{"credentials are no link", "https://u:p@github.com/x", "", false},
		{"nothing is no link", "", "", false},
		{"what could close the link or the cell is encoded", "https://h/x>y)|z <b>", "https://h/x%3Ey%29%7Cz%20%3Cb%3E", true},
		{"a line break is no link", "https://h/x\ny", "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, ok := safeURL(c.in)
			if got != c.want || ok != c.ok {
				t.Errorf("safeURL(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
			}
		})
	}
}

func TestSubject(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"one": "one", "one\n\nbody": "one", "crlf\r\nbody": "crlf", "": ""} {
		if got := Subject(in); got != want {
			t.Errorf("Subject(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUnreadable(t *testing.T) {
	t.Parallel()
	s := Unreadable(lk(entry("a", "acme/a", "1", 'a'), entry("b", "https://git.example/b", "2", 'b')), "the previous lock is gone")
	if len(s.Changes) != 2 {
		t.Fatalf("%+v", s.Changes)
	}
	for _, c := range s.Changes {
		if c.Status != Unknown || c.Commits != nil || c.Note != "the changes are unknown: the previous lock is gone" || c.To == "" {
			t.Errorf("%+v", c)
		}
	}
}
