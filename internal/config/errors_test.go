package config_test

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/ladder-release/ladder/internal/config"
)

// TestInvalidConfigs holds one case per rule of SPEC section 3 (and the
// parser's documented decisions), one file per case under testdata/invalid:
// a txtar archive whose comment names the case, whose ladder.yaml is the
// config and whose want is every rendered error line, in order.
func TestInvalidConfigs(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "invalid", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 30 {
		t.Fatalf("only %d cases", len(files))
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			t.Parallel()
			yaml, want := invalidCase(t, file)
			c, err := config.Parse("ladder.yaml", yaml)
			if err == nil {
				t.Fatalf("Parse accepted the config: %+v", c)
			}
			if c != nil {
				t.Errorf("Parse returned a config with an error")
			}
			var errs config.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want config.Errors", err)
			}
			checkErrors(t, errs)
			if got := err.Error() + "\n"; got != want {
				t.Errorf("%s: errors:\n  %s\nwant:\n  %s", file,
					strings.ReplaceAll(strings.TrimSuffix(got, "\n"), "\n", "\n  "), strings.ReplaceAll(strings.TrimSuffix(want, "\n"), "\n", "\n  "))
			}
		})
	}
}

// invalidCase reads a case of TestInvalidConfigs: exactly the sections
// ladder.yaml and want, a non-empty want, and a comment naming the case.
func invalidCase(t *testing.T, file string) (yaml []byte, want string) {
	t.Helper()
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string][]byte{}
	for _, f := range ar.Files {
		if _, dup := sections[f.Name]; dup {
			t.Fatalf("%s: section %q twice", file, f.Name)
		}
		sections[f.Name] = f.Data
	}
	yaml, hasYAML := sections["ladder.yaml"]
	w, hasWant := sections["want"]
	if !hasYAML || !hasWant || len(sections) != 2 {
		t.Fatalf("%s: want exactly two sections, -- ladder.yaml -- (the config) and -- want -- (the expected error lines)", file)
	}
	if len(bytes.TrimSpace(w)) == 0 {
		t.Fatalf("%s: the expected errors (-- want --) are missing", file)
	}
	if len(bytes.TrimSpace(ar.Comment)) == 0 {
		t.Fatalf("%s: no comment naming the case", file)
	}
	return yaml, string(w)
}

// checkErrors asserts what every config error promises: a position with a line,
// a field, a message that starts with the field, and file order.
func checkErrors(t *testing.T, errs config.Errors) {
	t.Helper()
	if len(errs) == 0 {
		t.Fatal("empty Errors")
	}
	for i, e := range errs {
		if e.Pos.Line < 1 || e.Pos.Col < 1 {
			t.Errorf("error %q has no position", e.Error())
		}
		if e.Field == "" || !strings.HasPrefix(e.Message, e.Field+": ") {
			t.Errorf("error %q: field %q does not start the message", e.Error(), e.Field)
		}
		if i > 0 {
			p, q := errs[i-1].Pos, e.Pos
			if q.Line < p.Line || (q.Line == p.Line && q.Col < p.Col) {
				t.Errorf("errors out of order: %v before %v", p, q)
			}
		}
	}
}

// TestHostileInput: huge values, many errors and alias bombs stay cheap.
func TestHostileInput(t *testing.T) {
	t.Parallel()
	head := "version: 1\nproduct: p\nregistry: ghcr.io/a/p\ncomponents: {a: {repo: o/a}}\nchannels: {dev: {track: {branch: main}}}\n"
	parse := func(t *testing.T, yaml string) config.Errors {
		t.Helper()
		_, err := config.Parse("ladder.yaml", []byte(yaml))
		var errs config.Errors
		if !errors.As(err, &errs) {
			t.Fatalf("error %v, want config.Errors", err)
		}
		checkErrors(t, errs)
		return errs
	}
	t.Run("huge value", func(t *testing.T) {
		t.Parallel()
		errs := parse(t, "version: 1\nproduct: &p "+strings.Repeat("X", 100000)+"\nregistry: *p\ncomponents: {a: {repo: *p}}\nchannels: {dev: {track: {branch: main}}}\n")
		if len(errs) != 3 {
			t.Fatalf("got %d errors: %v", len(errs), errs)
		}
		for _, e := range errs {
			if len(e.Message) > 1000 || !strings.Contains(e.Message, `XXX..."`) {
				t.Errorf("message not shortened: %.300s", e.Message)
			}
		}
	})
	t.Run("many errors", func(t *testing.T) {
		t.Parallel()
		var b strings.Builder
		b.WriteString(head)
		for i := 0; i < 300; i++ {
			fmt.Fprintf(&b, "unknown%d: x\n", i)
		}
		errs := parse(t, b.String())
		if len(errs) != 201 {
			t.Fatalf("got %d errors, want 200 and a last one", len(errs))
		}
		want := "ladder.yaml:206:1: (root): too many errors, 100 more not shown"
		if got := errs[200].Error(); got != want {
			t.Errorf("last error %q, want %q", got, want)
		}
	})
	t.Run("merge bomb", func(t *testing.T) {
		t.Parallel()
		var b strings.Builder
		b.WriteString(head + "labels:\n  l0: &l0 {from: dev}\n")
		for i := 1; i < 10; i++ {
			fmt.Fprintf(&b, "  l%d: &l%d\n    <<: [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 8), ", "))
		}
		// l(i) merges 8^i copies of l0's key (l9: 134 million): l1..l5 stay
		// within the work budget, l6 alone exceeds it. The budget must stop
		// the parser in l6, once, and leave l1..l5 fully checked; without it
		// the test does not end.
		errs := parse(t, b.String())
		var budget []string
		for _, e := range errs {
			if strings.Contains(e.Message, "too many keys") {
				budget = append(budget, e.Error())
			}
			for i := 1; i <= 5; i++ {
				if f := fmt.Sprintf("labels.l%d", i); e.Field == f || strings.HasPrefix(e.Field, f+".") {
					t.Errorf("error about %s, which is within the budget: %v", f, e)
				}
			}
		}
		want := "ladder.yaml:7:12: labels.l6: too many keys and items after expanding aliases and merge keys (more than 200000)"
		if len(budget) != 1 || budget[0] != want {
			t.Errorf("work budget errors %q, want only %q; all errors:\n%v", budget, want, errs)
		}
	})
	t.Run("self merge", func(t *testing.T) {
		t.Parallel()
		errs := parse(t, "version: 1\nproduct: p\nregistry: ghcr.io/a/p\ncomponents: &c {a: {repo: o/a}, <<: *c}\nchannels: {dev: {track: {branch: main}}}\n")
		want := "ladder.yaml:4:33: components.<<: a merge key cannot merge a mapping into itself"
		if errs.Error() != want {
			t.Errorf("got %q, want %q", errs.Error(), want)
		}
	})
	t.Run("deep nesting", func(t *testing.T) {
		t.Parallel()
		errs := parse(t, head+"x: "+strings.Repeat("[", 20000)+strings.Repeat("]", 20000)+"\n")
		want := "ladder.yaml:6:1: (root): invalid YAML: exceeded max depth of 10000"
		if errs.Error() != want {
			t.Errorf("got %q, want %q", errs.Error(), want)
		}
	})
}
