package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ladder-release/ladder/actions"
	"github.com/ladder-release/ladder/internal/action/actiontest"
	"github.com/ladder-release/ladder/internal/session"
)

// TestActionYAMLMatchesCode is the one test of every action.yml against the
// code, in both directions. For each action, run once against real
// components: every input it reads is declared and every declared input is
// read (an input nobody reads is a lie in action.yml); every output it sets
// is declared and every declared output is set; `ladder NAME --help` lists
// every declared input and output. The root action.yml takes `command` plus
// the union of the actions' inputs (one default per input) and declares the
// union of their outputs; every action runs the root's image with its own
// name as the argument. (runAction also fails a test on an undeclared output.)
func TestActionYAMLMatchesCode(t *testing.T) {
	for _, c := range []struct {
		name string
		// setup makes the world the action runs in: its inputs, the
		// environment beside them, and the clock.
		setup func(t *testing.T) (inputs, env map[string]string, d Deps)
	}{
		{"resolve-channel", func(t *testing.T) (map[string]string, map[string]string, Deps) {
			w := newS1World(t, "file:ledger.json")
			return map[string]string{"channel": "dev"}, map[string]string{"GITHUB_API_URL": w.gh.URL(), "GITHUB_WORKSPACE": w.ws, "GITHUB_REPOSITORY": "acme/elemental"},
				Deps{Now: func() time.Time { return now }}
		}},
		{"build-bundle", func(t *testing.T) (map[string]string, map[string]string, Deps) {
			w := newS1World(t, "file:ledger.json")
			return map[string]string{"channel": "dev", "tags": "extra"}, map[string]string{"GITHUB_API_URL": w.gh.URL(), "GITHUB_WORKSPACE": w.ws, "GITHUB_REPOSITORY": "acme/elemental"},
				Deps{Now: func() time.Time { return now }}
		}},
		{"promote-label", func(t *testing.T) (map[string]string, map[string]string, Deps) {
			w, clk := newPromoteWorld(t, "file:ledger.json", "  testing: {from: dev}\n")
			publishDev(t, w, clk, "1.0.1")
			return map[string]string{"label": "testing"}, map[string]string{"GITHUB_API_URL": w.gh.URL(), "GITHUB_WORKSPACE": w.ws},
				Deps{Now: clk.Now, Sleep: clk.Sleep}
		}},
		{"retire", func(t *testing.T) (map[string]string, map[string]string, Deps) {
			w, clk := retireWorld(t)
			publishDev(t, w, clk, "1.0.1")
			return map[string]string{"channel": "dev", "reason": "end of life"}, map[string]string{"GITHUB_API_URL": w.gh.URL(), "GITHUB_WORKSPACE": w.ws, "GITHUB_REPOSITORY": "acme/elemental"},
				Deps{Now: clk.Now, Sleep: clk.Sleep}
		}},
		{"cascade-branches", func(t *testing.T) (map[string]string, map[string]string, Deps) {
			w := newCascadeWorld(t, s3Repo)
			ws := t.TempDir()
			writeFile(t, ws, ".github/ladder.yaml", s3Config)
			return map[string]string{"dry-run": "true", "branch": "snapshot"},
				map[string]string{"GITHUB_API_URL": w.gh.URL(), "GITHUB_WORKSPACE": ws, "GITHUB_REPOSITORY": s3Repo, "GITHUB_RUN_ID": "1", "GITHUB_RUN_ATTEMPT": "1"},
				Deps{Now: func() time.Time { return now }}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			inputs, env, d := c.setup(t)
			meta := actiontest.LoadActionYAML(t, filepath.Join("..", "..", "actions", c.name, "action.yml"))
			te := actiontest.Env(t, meta, inputs, env)
			d.Getenv, d.Stdout = te.Getenv, &bytes.Buffer{}
			cmd := commands[c.name]
			s, err := session.New(c.name, nil, d, cmd.flags, Version)
			if err != nil {
				t.Fatal(err)
			}
			r := &run{s}
			if err := cmd.run(context.Background(), r); err != nil {
				t.Fatal(err)
			}
			read := r.Act.InputsRead()
			actiontest.CheckInputs(t, meta, read)
			declared := meta.InputNames()
			if !slices.Equal(read, declared) {
				t.Errorf("inputs read %v, declared %v: an input nobody reads is a lie in action.yml", read, declared)
			}
			set := r.Act.OutputsSet()
			actiontest.CheckOutputs(t, meta, set)
			if !slices.Equal(set, meta.OutputNames()) {
				t.Errorf("outputs set %v, declared %v", set, meta.OutputNames())
			}
			code, help, _ := cliRun(t, nil, c.name, "--help")
			if code != ExitOK {
				t.Errorf("--help: exit %d", code)
			}
			for _, in := range declared {
				if !strings.Contains(help, "\n  --"+in+" ") {
					t.Errorf("--help does not list input %s:\n%s", in, help)
				}
			}
			for _, out := range meta.OutputNames() {
				if !strings.Contains(help, "\n  "+out+" ") {
					t.Errorf("--help does not list output %s:\n%s", out, help)
				}
			}
		})
	}
	t.Run("root action.yml", func(t *testing.T) {
		data, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
		if err != nil {
			t.Fatal(err)
		}
		var root actions.Metadata
		if err := yaml.Unmarshal(data, &root); err != nil {
			t.Fatal(err)
		}
		if _, ok := root.Inputs["command"]; !ok || !root.Inputs["command"].Required {
			t.Error("root action.yml: a required `command` input is missing")
		}
		if root.Runs.Using != "docker" || len(root.Runs.Args) != 1 || root.Runs.Args[0] != "${{ inputs.command }}" {
			t.Errorf("root action.yml runs: %+v", root.Runs)
		}
		wantIn := map[string]string{}
		wantOut := map[string]bool{}
		for _, name := range actions.Names() {
			m, err := actions.Load(name)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := commands[name]; !ok {
				t.Errorf("actions/%s has no command", name)
			}
			if m.Runs.Using != "docker" || m.Runs.Image != root.Runs.Image || !reflect.DeepEqual(m.Runs.Args, []string{name}) {
				t.Errorf("actions/%s: runs %+v: want the image %s with args [%s]", name, m.Runs, root.Runs.Image, name)
			}
			for in, spec := range m.Inputs {
				if d, seen := wantIn[in]; seen && d != spec.Default {
					t.Errorf("input %s: default %q in %s, %q elsewhere: one input, one meaning", in, spec.Default, name, d)
				}
				wantIn[in] = spec.Default
				if spec.Description == "" {
					t.Errorf("actions/%s: input %s has no description", name, in)
				}
			}
			for out, spec := range m.Outputs {
				wantOut[out] = true
				if spec.Description == "" {
					t.Errorf("actions/%s: output %s has no description", name, out)
				}
			}
		}
		for in, def := range wantIn {
			got, ok := root.Inputs[in]
			switch {
			case !ok:
				t.Errorf("root action.yml lacks input %s", in)
			case got.Default != def:
				t.Errorf("root action.yml input %s: default %q, actions have %q", in, got.Default, def)
			case got.Required:
				t.Errorf("root action.yml input %s is required; only `command` may be (the others depend on the command)", in)
			}
		}
		for in := range root.Inputs {
			if _, ok := wantIn[in]; !ok && in != "command" {
				t.Errorf("root action.yml declares input %s that no action has", in)
			}
		}
		var missing []string
		for out := range wantOut {
			if _, ok := root.Outputs[out]; !ok {
				missing = append(missing, out)
			}
		}
		for out := range root.Outputs {
			if !wantOut[out] {
				t.Errorf("root action.yml declares output %s that no action sets", out)
			}
		}
		slices.Sort(missing)
		if len(missing) > 0 {
			t.Errorf("root action.yml lacks outputs %v", missing)
		}
	})
}
