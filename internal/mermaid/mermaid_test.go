package mermaid

import (
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"1.2.3 (head)":           "1.2.3 (head)",
		"main@acme/app 12:00":    "main@acme/app 12:00",
		`a"b`:                    "a#34;b",
		"x|y":                    "x#124;y",
		"line\nbreak\rcr":        "line#10;break#13;cr",
		"<b>`~~~`</b>":           "#60;b#62;#96;#126;#126;#126;#96;#60;/b#62;",
		"]; click m0 href \"u\"": "#93;#59; click m0 href #34;u#34;",
		"é":                      "#233;",
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzText(f *testing.F) {
	f.Add("promoted|\n  click m0 href \"https://evil.example\"\n  m0 -->|x")
	f.Fuzz(func(t *testing.T, s string) {
		got := Text(s)
		if strings.ContainsAny(got, "\"|[]{}<>`\n\r\\") {
			t.Errorf("Text(%q) = %q keeps a character that can end a label", s, got)
		}
	})
}
