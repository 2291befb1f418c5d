package action_test

import (
	"io"
	"os"
	"path/filepath"
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
