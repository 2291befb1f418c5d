package actions

import (
	"os"
	"reflect"
	"sort"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestRootActionIsTheUnion: the root action.yml takes `command` plus the union
// of every action's inputs, with the same defaults, and declares the union of
// their outputs; its args pass the command on.
func TestRootActionIsTheUnion(t *testing.T) {
	data, err := os.ReadFile("../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var root Metadata
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
	for _, name := range Names() {
		m, err := Load(name)
		if err != nil {
			t.Fatal(err)
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
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("root action.yml lacks outputs %v", missing)
	}
}

func TestLoadUnknownAction(t *testing.T) {
	if _, err := Load("nope"); err == nil {
		t.Error("Load of an unknown action succeeded")
	}
}
