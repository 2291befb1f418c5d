package action_test

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/action"
)

func TestEscapeMarkdown(t *testing.T) {
	t.Parallel()
	wantEach(t, "EscapeMarkdown", action.EscapeMarkdown, map[string]string{
		"v1.2.3":                    "v1.2.3",
		"feature/login":             "feature/login",
		"a|b":                       `a\|b`,
		"line1\nline2\r\nline3\r4":  "line1<br>line2<br>line3<br>4",
		"<script>alert(1)</script>": "&lt;script&gt;alert(1)&lt;/script&gt;",
		`"quoted" & 'single'`:       "&quot;quoted&quot; &amp; &#39;single&#39;",
		"**bold** _it_ ~~s~~":       `\*\*bold\*\* \_it\_ \~\~s\~\~`,
		"[x](https://e.vil)":        "`[x](https://e.vil)`",
		"![img](x)":                 `!\[img\](x)`,
		"`code` $x$ a\\b":           "\\`code\\` \\$x\\$ a\\\\b",
		"&lt;":                      "&amp;lt;",
	})
}

func TestSummaryGolden(t *testing.T) {
	t.Parallel()
	r := action.New(mapEnv(t, nil), io.Discard)
	got := r.Summary().
		Heading("Channel stable #1 ##", 2).
		Paragraph("Resolved 3 components.\nOne | changed & <b>bold</b>").
		Paragraph("# not a heading").
		Paragraph("- not a list").
		Paragraph("1. not a list").
		Paragraph("    not code").
		Heading("deep", 9).
		Heading("shallow", 0).
		Table([]string{"Component", "Version", "Commit"}, [][]string{
			{"api", "1.2.3", "abc1234"},
			{"web|ui", "2.0.0\nrc1", "<img src=x onerror=alert(1)>"},
			{"short"},
			{"long", "a", "b", "extra"},
		}).
		Table(nil, nil).
		Mermaid("graph LR\n  a[\"1.0.0\"] --> b[\"1.1.0\"]").
		Mermaid("graph LR\r\n  a[\"```\"] --> b\r\n").
		Markdown("_trusted_ markdown\n\n").
		String()
	want := "## Channel stable \\#1 \\#\\#\n\n" +
		"Resolved 3 components.<br>One \\| changed &amp; &lt;b&gt;bold&lt;/b&gt;\n\n" +
		"\\# not a heading\n\n" +
		"\\- not a list\n\n" +
		"1\\. not a list\n\n" +
		"not code\n\n" +
		"###### deep\n\n" +
		"# shallow\n\n" +
		"| Component | Version | Commit |  |\n" +
		"| --- | --- | --- | --- |\n" +
		"| api | 1.2.3 | abc1234 |  |\n" +
		"| web\\|ui | 2.0.0<br>rc1 | &lt;img src=x onerror=alert(1)&gt; |  |\n" +
		"| short |  |  |  |\n" +
		"| long | a | b | extra |\n" +
		"\n" +
		"```mermaid\ngraph LR\n  a[\"1.0.0\"] --> b[\"1.1.0\"]\n```\n\n" +
		"````mermaid\ngraph LR\n  a[\"```\"] --> b\n````\n\n" +
		"_trusted_ markdown\n\n"
	if got != want {
		t.Errorf("summary =\n%s\nwant\n%s", got, want)
	}
}

func TestSummaryWrite(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "summary.md")
	if err := os.WriteFile(path, []byte("earlier step\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := action.New(mapEnv(t, map[string]string{"GITHUB_STEP_SUMMARY": path}), io.Discard)
	s := r.Summary().Heading("ladder", 1)
	if err := s.Write(); err != nil {
		t.Fatal(err)
	}
	if s.String() != "" {
		t.Errorf("builder not emptied by Write: %q", s.String())
	}
	if err := s.Paragraph("done").Write(); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(); err != nil { // nothing to write
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(data), "earlier step\n\n# ladder\n\ndone\n\n"; got != want {
		t.Errorf("file = %q, want %q", got, want)
	}

	// Outside a runner the summary goes nowhere, without error.
	r = action.New(mapEnv(t, nil, "GITHUB_STEP_SUMMARY"), io.Discard)
	if err := r.Summary().Heading("x", 1).Write(); err != nil {
		t.Errorf("Write with GITHUB_STEP_SUMMARY unset: %v", err)
	}

	// A summary file that cannot be written is an error.
	r = action.New(mapEnv(t, map[string]string{"GITHUB_STEP_SUMMARY": t.TempDir()}), io.Discard)
	if err := r.Summary().Heading("x", 1).Write(); err == nil {
		t.Error("Write to a directory: no error")
	}
}

// TestEscapeMarkdownStopsAutolinks: text ladder did not write (a ledger
// reason, a commit subject, an input, an error) is shown in step summaries;
// GitHub's markdown turns a bare https://…, www.… or name@host.tld into a
// link even with brackets escaped. Such a word becomes a code span: shown as
// written, never a link.
func TestEscapeMarkdownStopsAutolinks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{"https URL in a sentence", "approved in https://e.vil/x?a=1 by ops", "approved in `https://e.vil/x?a=1` by ops"},
		{"http and ftp", "http://a.b ftp://c.d", "`http://a.b` `ftp://c.d`"},
		{"upper-case scheme", "HTTPS://E.VIL", "`HTTPS://E.VIL`"},
		{"www", "see www.e.vil/login", "see `www.e.vil/login`"},
		{"upper-case www", "WWW.E.VIL", "`WWW.E.VIL`"},
		{"in parentheses", "(https://e.vil)", "`(https://e.vil)`"},
		{"a markdown link", "[docs](https://e.vil)", "`[docs](https://e.vil)`"},
		{"markup inside the URL is shown as is", "https://e.vil/?a=<b>&c=*d*_e_\\", "`https://e.vil/?a=<b>&c=*d*_e_\\`"},
		{"backticks inside the URL", "https://e.vil/`a``b", "```https://e.vil/`a``b```"},
		{"a URL in backticks", "`https://e.vil`", "`` `https://e.vil` ``"},
		{"a pipe ends the code span", "https://e.vil/a|b", "`https://e.vil/a`\\|b"},
		{"line breaks end the code span", "https://e.vil\r\nwww.e.vil\rnext", "`https://e.vil`<br>`www.e.vil`<br>next"},
		{"tab separates", "x\thttps://e.vil", "x\t`https://e.vil`"},
		{"e-mail address", "from octocat@e.vil now", "from `octocat@e.vil` now"},
		{"mailto", "mailto:a@b.c", "`mailto:a@b.c`"},
		{"xmpp", "xmpp:a@b.c/r", "`xmpp:a@b.c/r`"},
		{"a digest reference is no link", "ghcr.io/acme/app@sha256:abc", "ghcr.io/acme/app@sha256:abc"},
		{"a registry with a port is no link", "127.0.0.1:5000/a/b@sha256:abc", "127.0.0.1:5000/a/b@sha256:abc"},
		{"a repository@branch is no link", "acme/app@main", "acme/app@main"},
		{"a host without a scheme is no link", "ghcr.io/acme/app:v1", "ghcr.io/acme/app:v1"},
		{"plain words are escaped as before", "a_b *c* <d>", `a\_b \*c\* &lt;d&gt;`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := action.EscapeMarkdown(tc.in)
			if got != tc.want {
				t.Errorf("EscapeMarkdown(%q) =\n %q\nwant\n %q", tc.in, got, tc.want)
			}
			if rest := outsideCodeSpans(got); autolinkable.MatchString(rest) {
				t.Errorf("outside code spans, %q can still become a link", rest)
			}
		})
	}
}

// TestSummaryStopsAutolinks: headings, paragraphs and table cells all go
// through the same escaping.
func TestSummaryStopsAutolinks(t *testing.T) {
	t.Parallel()
	r := action.New(mapEnv(t, nil), io.Discard)
	got := r.Summary().
		Heading("see https://e.vil/#top #1", 2).
		Paragraph("https://e.vil/a first, then www.e.vil").
		Paragraph("#https://e.vil").
		Table([]string{"reason"}, [][]string{{"ok https://e.vil/a|b"}}).
		String()
	want := "## see `https://e.vil/#top` \\#1\n\n" +
		"`https://e.vil/a` first, then `www.e.vil`\n\n" +
		"`#https://e.vil`\n\n" +
		"| reason |\n| --- |\n| ok `https://e.vil/a`\\|b |\n\n"
	if got != want {
		t.Errorf("summary =\n%s\nwant\n%s", got, want)
	}
	if rest := outsideCodeSpans(got); autolinkable.MatchString(rest) {
		t.Errorf("outside code spans, %q can still become a link", rest)
	}
}

// autolinkable is what GFM autolinks (a scheme's ://, www., an e-mail).
var autolinkable = regexp.MustCompile(`(?i)://|www\.|@[a-z0-9_-]+\.[a-z0-9]`)

// outsideCodeSpans is md without its code spans (a run of n backticks up
// to the next run of exactly n; an escaped backtick opens none).
func outsideCodeSpans(md string) string {
	var b strings.Builder
	for i := 0; i < len(md); {
		if md[i] == '\\' && i+1 < len(md) {
			b.WriteString(md[i : i+2])
			i += 2
			continue
		}
		if md[i] != '`' {
			b.WriteByte(md[i])
			i++
			continue
		}
		n := 0
		for i+n < len(md) && md[i+n] == '`' {
			n++
		}
		closed := -1
		for j := i + n; j < len(md); {
			if md[j] != '`' {
				j++
				continue
			}
			m := 0
			for j+m < len(md) && md[j+m] == '`' {
				m++
			}
			if m == n {
				closed = j + m
				break
			}
			j += m
		}
		if closed < 0 {
			b.WriteString(md[i : i+n])
			i += n
			continue
		}
		i = closed
	}
	return b.String()
}
