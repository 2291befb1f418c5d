package actiontest

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"
)

// Metadata is an action.yml: the fields the runner reads.
type Metadata struct {
	Name        string            `yaml:"name"`
	Description string            `yaml:"description"`
	Author      string            `yaml:"author"`
	Branding    Branding          `yaml:"branding"`
	Inputs      map[string]Input  `yaml:"inputs"`
	Outputs     map[string]Output `yaml:"outputs"`
	Runs        Runs              `yaml:"runs"`

	// Path is the file the metadata was loaded from, for messages.
	Path string `yaml:"-"`
}

// Branding is the marketplace icon and colour.
type Branding struct {
	Icon  string `yaml:"icon"`
	Color string `yaml:"color"`
}

// Input is one declared input.
type Input struct {
	Description        string `yaml:"description"`
	Required           bool   `yaml:"required"`
	Default            string `yaml:"default"`
	DeprecationMessage string `yaml:"deprecationMessage"`
}

// Output is one declared output (Value is for composite actions only).
type Output struct {
	Description string `yaml:"description"`
	Value       string `yaml:"value"`
}

// Runs says how the action runs.
type Runs struct {
	Using          string            `yaml:"using"`
	Image          string            `yaml:"image"`
	Args           []string          `yaml:"args"`
	Entrypoint     string            `yaml:"entrypoint"`
	PreEntrypoint  string            `yaml:"pre-entrypoint"`
	PostEntrypoint string            `yaml:"post-entrypoint"`
	Env            map[string]string `yaml:"env"`
	Main           string            `yaml:"main"`
	Pre            string            `yaml:"pre"`
	Post           string            `yaml:"post"`
	PreIf          string            `yaml:"pre-if"`
	PostIf         string            `yaml:"post-if"`
	Steps          []yaml.Node       `yaml:"steps"`
}

// id is what GitHub accepts as an input or output id.
var id = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// ParseMetadata parses an action.yml strictly (an unknown key is an error, so
// a misspelt "defualt" is caught) and validates it.
func ParseMetadata(data []byte) (*Metadata, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var m Metadata
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Validate checks what the runner and the marketplace require: a name, a
// description, runs.using, and a description for every input and output,
// whose ids are letters, digits, '_' and '-', starting with a letter or '_'.
func (m *Metadata) Validate() error {
	var errs []error
	if m.Name == "" {
		errs = append(errs, errors.New("name: missing"))
	}
	if m.Description == "" {
		errs = append(errs, errors.New("description: missing"))
	}
	if m.Runs.Using == "" {
		errs = append(errs, errors.New("runs.using: missing"))
	}
	for _, name := range m.InputNames() {
		if !id.MatchString(name) {
			errs = append(errs, fmt.Errorf("inputs.%s: not a valid id", name))
		}
		if m.Inputs[name].Description == "" {
			errs = append(errs, fmt.Errorf("inputs.%s.description: missing", name))
		}
	}
	for _, name := range m.OutputNames() {
		if !id.MatchString(name) {
			errs = append(errs, fmt.Errorf("outputs.%s: not a valid id", name))
		}
		if m.Outputs[name].Description == "" {
			errs = append(errs, fmt.Errorf("outputs.%s.description: missing", name))
		}
	}
	return errors.Join(errs...)
}

// InputNames returns the declared input names, sorted.
func (m *Metadata) InputNames() []string { return slices.Sorted(maps.Keys(m.Inputs)) }

// OutputNames returns the declared output names, sorted.
func (m *Metadata) OutputNames() []string { return slices.Sorted(maps.Keys(m.Outputs)) }

// LoadActionYAML reads and parses the action.yml at path, failing the test
// when it cannot be read, does not parse or is invalid.
func LoadActionYAML(t testing.TB, path string) *Metadata {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading action metadata: %v", err)
	}
	m, err := ParseMetadata(data)
	if err != nil {
		t.Fatalf("parsing action metadata %s: %v", path, err)
	}
	m.Path = path
	return m
}

// CheckOutputs fails the test for every output in set that meta does not
// declare (pass Runner.OutputsSet()).
func CheckOutputs(t testing.TB, meta *Metadata, set []string) {
	t.Helper()
	for _, name := range set {
		if _, ok := meta.Outputs[name]; !ok {
			t.Errorf("output %q was set but %s declares no such output (declared: %v)", name, meta.where(), meta.OutputNames())
		}
	}
}

// CheckInputs fails the test for every input in read that meta does not
// declare (pass Runner.InputsRead()).
func CheckInputs(t testing.TB, meta *Metadata, read []string) {
	t.Helper()
	for _, name := range read {
		if _, ok := meta.Inputs[name]; !ok {
			t.Errorf("input %q was read but %s declares no such input (declared: %v)", name, meta.where(), meta.InputNames())
		}
	}
}

func (m *Metadata) where() string {
	if m.Path != "" {
		return m.Path
	}
	return "action.yml"
}
