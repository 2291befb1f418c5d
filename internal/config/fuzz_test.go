package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/config"
)

// FuzzParse: Parse never panics; a nil error means a usable config; an error is
// a config.Errors whose every element has a position and a field. And whatever
// Parse accepts, the JSON Schema accepts too.
//
//	go test -run=^$ -fuzz=FuzzParse -fuzztime=120s ./internal/config/
//
// Inputs the fuzzer found are kept under testdata/fuzz/FuzzParse as regression cases.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"valid", "invalid", "invalid-semantic"} {
		fs, _ := filepath.Glob(filepath.Join(testdata, dir, "*.yaml"))
		for _, name := range fs {
			data, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	for _, s := range []string{"", "{}", "[]", "x", "version: 1", "a: &a [*a]", "<<: {version: 1}", "- [\n", "\t", "version: 1\nversion: 1\n"} {
		f.Add([]byte(s))
	}
	sch := compileSchema(f, "")
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Parse("fuzz.yaml", data)
		if err != nil {
			if c != nil {
				t.Fatal("a config and an error")
			}
			var errs config.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want config.Errors: %v", err, err)
			}
			if len(errs) == 0 {
				t.Fatal("empty Errors")
			}
			for _, e := range errs {
				if e.Pos.Line < 1 || e.Pos.Col < 1 || e.Pos.File != "fuzz.yaml" {
					t.Fatalf("error without a position: %#v", e)
				}
				if e.Field == "" || !strings.HasPrefix(e.Message, e.Field+": ") {
					t.Fatalf("error without a field: %#v", e)
				}
			}
			return
		}
		if c == nil || len(c.Components) == 0 || len(c.Channels) == 0 {
			t.Fatalf("accepted a config without components or channels: %+v", c)
		}
		checkConfig(t, c)
		// The schema must accept what the parser accepts.
		doc, err := yamlValue(data)
		if err != nil {
			return // not representable in JSON (.inf, say)
		}
		if err := sch.Validate(doc); err != nil {
			t.Fatalf("Parse accepts the config, the schema does not: %v", err)
		}
	})
}

// checkConfig asserts the promises of a parsed config.
func checkConfig(t *testing.T, c *config.Config) {
	t.Helper()
	if c.Version != 1 || c.Product == "" || c.Registry == "" {
		t.Fatalf("version %d product %q registry %q", c.Version, c.Product, c.Registry)
	}
	for _, comp := range c.Components {
		if (comp.Repo == "") == (comp.Git == "") {
			t.Fatalf("component %s: repo %q git %q", comp.Name, comp.Repo, comp.Git)
		}
	}
	kinds := func(p config.Policy) int {
		n := 0
		for _, set := range []bool{p.Branch != "", p.Semver != "", p.Pin != "" || p.Pins != nil, p.Label != ""} {
			if set {
				n++
			}
		}
		return n
	}
	for _, ch := range c.Channels {
		if !ch.Retention.All && ch.Retention.Keep < 1 {
			t.Fatalf("channel %s: retention %+v", ch.Name, ch.Retention)
		}
		if kinds(ch.Track) != 1 {
			t.Fatalf("channel %s: track %+v", ch.Name, ch.Track)
		}
		for _, comp := range c.Components {
			p := ch.PolicyFor(comp.Name)
			if kinds(p) != 1 || p.Pins != nil || (ch.Track.Pins != nil && p.Pin == "" && p.Branch == "" && p.Semver == "") {
				t.Fatalf("channel %s: no policy for %s: %+v", ch.Name, comp.Name, p)
			}
		}
		if _, ok := c.Pos["channels."+ch.Name]; !ok {
			t.Fatalf("no position for channel %s", ch.Name)
		}
	}
	for _, l := range c.Labels {
		if _, ok := c.Channel(l.From); !ok {
			if _, ok := c.Label(l.From); !ok || l.From == l.Name {
				t.Fatalf("label %s from %q", l.Name, l.From)
			}
		}
		if l.Gates.Soak < 0 {
			t.Fatalf("label %s: negative soak", l.Name)
		}
	}
	if c.Cascade != nil && (c.Cascade.EventType == "" || len(c.Cascade.EventType) > 400) {
		t.Fatalf("cascade event type %q", c.Cascade.EventType)
	}
}

// FuzzNames: for any single value, the schema accepts what the parser accepts
// (names, refs, constraints, registries, durations, URLs).
//
//	go test -run=^$ -fuzz=FuzzNames -fuzztime=60s ./internal/config/
func FuzzNames(f *testing.F) {
	for _, s := range []string{"dev", "1.2.3", "sha-x", "b366a24", "feature/x", "a..b", ">=1.0", "x.1", "ghcr.io/a/b", "2d", "1d2h", "git@h:p", "https://h/p", "file:x", "acme/.github"} {
		f.Add(s)
	}
	type check struct {
		name  string
		sch   interface{ Validate(any) error }
		parse func(string) string
	}
	var checks []check
	for name, fn := range config.Validators {
		checks = append(checks, check{name, compileSchema(f, "/$defs/"+name), fn})
	}
	for loc, fn := range config.Properties {
		checks = append(checks, check{loc, compileSchema(f, loc), fn})
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range checks {
			if c.parse(s) == "" {
				if err := c.sch.Validate(s); err != nil {
					t.Errorf("%s: the parser accepts %q, the schema does not: %v", c.name, s, err)
				}
			}
		}
	})
}
