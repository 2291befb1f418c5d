// Package actions embeds the metadata of ladder's actions (actions/NAME/action.yml),
// so the binary knows each action's inputs, defaults and outputs from the same
// files the runner reads. The directories hold metadata only; the code of each
// action lives in internal/app.
package actions

import (
	"embed"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed */action.yml
var files embed.FS

// Input is one declared input.
type Input struct {
	Description string `yaml:"description"`
	Required    bool   `yaml:"required"`
	Default     string `yaml:"default"`
}

// Output is one declared output.
type Output struct {
	Description string `yaml:"description"`
}

// Metadata is an action.yml.
type Metadata struct {
	Name        string            `yaml:"name"`
	Description string            `yaml:"description"`
	Inputs      map[string]Input  `yaml:"inputs"`
	Outputs     map[string]Output `yaml:"outputs"`
	Runs        struct {
		Using string   `yaml:"using"`
		Image string   `yaml:"image"`
		Args  []string `yaml:"args"`
	} `yaml:"runs"`
}

// Names lists the embedded actions.
func Names() []string {
	entries, _ := fs.ReadDir(files, ".")
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

// Load returns the metadata of action name.
func Load(name string) (*Metadata, error) {
	data, err := files.ReadFile(name + "/action.yml")
	if err != nil {
		return nil, fmt.Errorf("no action %q (actions: %s)", name, strings.Join(Names(), ", "))
	}
	var m Metadata
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("actions/%s/action.yml: %w", name, err)
	}
	return &m, nil
}

// InputNames returns the declared inputs in order.
func (m *Metadata) InputNames() []string { return slices.Sorted(maps.Keys(m.Inputs)) }

// OutputNames returns the declared outputs in order.
func (m *Metadata) OutputNames() []string { return slices.Sorted(maps.Keys(m.Outputs)) }
