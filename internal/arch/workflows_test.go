package arch

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/ladder-release/ladder/internal/app"
	"github.com/ladder-release/ladder/internal/config"
)

// exampleConfigLine is how an example workflow names the ladder.yaml it
// assumes (a header comment).
var exampleConfigLine = regexp.MustCompile(`(?m)^# Config: examples/configs/([a-z0-9-]+\.yaml)\b`)

// repositoryRef is a registry reference built from github.repository: it
// keeps the owner's case, and OCI repository names are lower case.
var repositoryRef = regexp.MustCompile(`[a-z0-9.-]+\.[a-z]+/\$\{\{\s*github\.repository\s*\}\}`)

// acceptedWarnings are the `ladder validate` warnings an example config keeps
// on purpose: file -> a part of the warning's text -> why it stays. Empty:
// every example config validates without a warning.
var acceptedWarnings = map[string]map[string]string{}

// TestExampleConfigsValidate runs `ladder validate --config` (in process,
// through app.Main) on every config in examples/configs: an error fails, a
// warning fails unless acceptedWarnings keeps it with a reason.
func TestExampleConfigsValidate(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "examples", "configs", "*.yaml"))
	if len(files) < 6 {
		t.Fatalf("found %d example configs", len(files))
	}
	used := map[string]map[string]bool{}
	for _, f := range files {
		name := filepath.Base(f)
		var stdout, stderr bytes.Buffer
		rc := app.Main(context.Background(), []string{"validate", "--config", f}, app.Deps{Stdout: &stdout, Stderr: &stderr})
		if rc != app.ExitOK {
			t.Errorf("ladder validate --config %s: exit %d\n%s%s", name, rc, stdout.String(), stderr.String())
			continue
		}
		for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
			if !strings.Contains(line, ": warning: ") {
				continue
			}
			t.Logf("%s", line)
			accepted := false
			for part := range acceptedWarnings[name] {
				if strings.Contains(line, part) {
					accepted = true
					if used[name] == nil {
						used[name] = map[string]bool{}
					}
					used[name][part] = true
				}
			}
			if !accepted {
				t.Errorf("%s: a warning neither fixed nor accepted (acceptedWarnings, with a reason): %s", name, line)
			}
		}
	}
	for name, parts := range acceptedWarnings {
		for part := range parts {
			if !used[name][part] {
				t.Errorf("acceptedWarnings[%q][%q]: no such warning any more; remove it", name, part)
			}
		}
	}
}

// exampleStep is a step of an example workflow, as far as this test reads it.
type exampleStep struct {
	Uses string            `yaml:"uses"`
	With map[string]string `yaml:"with"`
}

// TestExampleWorkflowsHaveConfigs: every example workflow names its config
// (`# Config: examples/configs/NAME.yaml`), that file exists and parses, and
// it holds what the workflow uses: each channel and label the ladder actions
// are given literally, the cascade.repos entry of a channel or label hop,
// a cascade for cascade-branches, and id-token: write where a promotion
// signs keyless. No registry reference is built from github.repository
// (its owner's case is kept; registry names are lower case), and a
// workflow's IMAGE is the config's registry.
func TestExampleWorkflowsHaveConfigs(t *testing.T) {
	root := filepath.Join("..", "..")
	files, _ := filepath.Glob(filepath.Join(root, "examples", "workflows", "*.yml"))
	if len(files) < 6 {
		t.Fatalf("found %d example workflows", len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			if m := repositoryRef.FindString(line); m != "" {
				t.Errorf("%s:%d: %s keeps the owner's case; name the config's lower-case registry", name, i+1, m)
			}
		}
		m := exampleConfigLine.FindSubmatch(data)
		if m == nil {
			t.Errorf("%s: no `# Config: examples/configs/NAME.yaml` line naming the ladder.yaml it assumes", name)
			continue
		}
		cfgName := string(m[1])
		cfgData, err := os.ReadFile(filepath.Join(root, "examples", "configs", cfgName))
		if err != nil {
			t.Errorf("%s: its config: %v", name, err)
			continue
		}
		cfg, err := config.Parse(cfgName, cfgData)
		if err != nil {
			t.Errorf("%s: its config: %v", name, err)
			continue
		}
		var wf struct {
			Env  map[string]string `yaml:"env"`
			Jobs map[string]struct {
				Permissions any           `yaml:"permissions"`
				Steps       []exampleStep `yaml:"steps"`
			} `yaml:"jobs"`
		}
		if err := yaml.Unmarshal(data, &wf); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if img, ok := wf.Env["IMAGE"]; ok && img != cfg.Registry {
			t.Errorf("%s: env IMAGE %q is not %s's registry %q", name, img, cfgName, cfg.Registry)
		}
		for job, j := range wf.Jobs {
			for _, st := range j.Steps {
				sub := publishedAction.FindStringSubmatch(st.Uses)
				if sub == nil {
					continue
				}
				where := name + ": job " + job + ": " + sub[1]
				checkExampleStep(t, where, sub[1], st, cfg, cfgName, j.Permissions)
			}
		}
	}
}

// literal is a with: value written out (no expression), else "".
func literal(v string) string {
	if strings.Contains(v, "${{") {
		return ""
	}
	return v
}

func checkExampleStep(t *testing.T, where, action string, st exampleStep, cfg *config.Config, cfgName string, perms any) {
	t.Helper()
	channel, label := literal(st.With["channel"]), literal(st.With["label"])
	switch action {
	case "resolve-channel", "build-bundle":
		if _, ok := cfg.Channel(channel); channel != "" && !ok {
			t.Errorf("%s: channel %q is not in %s", where, channel, cfgName)
		}
	case "promote-label":
		l, ok := cfg.Label(label)
		if label != "" && !ok {
			t.Errorf("%s: label %q is not in %s", where, label, cfgName)
		}
		if ok && l.Sign && cfg.Signing != nil && cfg.Signing.Keyless != nil {
			if p, _ := perms.(map[string]any); p["id-token"] != "write" {
				t.Errorf("%s: label %q signs keyless (%s): the job needs permissions id-token: write", where, label, cfgName)
			}
		}
	case "cascade-branches":
		if cfg.Cascade == nil {
			t.Errorf("%s: %s has no cascade section", where, cfgName)
			return
		}
		if channel == "" && label == "" {
			return
		}
		found := false
		for _, r := range cfg.Cascade.Repos {
			if (channel != "" && r.When.Channel == channel) || (label != "" && r.When.Label == label) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: %s has no cascade.repos entry when {channel: %q, label: %q}", where, cfgName, channel, label)
		}
	}
}

// actionImage is the image an action.yml runs.
var actionImage = regexp.MustCompile(`(?m)^\s+image:\s+docker://(\S+)\s*$`)

// TestREADMESaysHowToRunToday: the README's first screen (before "## The two
// commands") names the image every action.yml runs, the workflow that
// builds it, and how to run ladder without it (`go run` of the CLI).
func TestREADMESaysHowToRunToday(t *testing.T) {
	root := filepath.Join("..", "..")
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	first, _, ok := strings.Cut(string(data), "\n## The two commands")
	if !ok {
		t.Fatal(`README.md has no "## The two commands"`)
	}
	files, _ := filepath.Glob(filepath.Join(root, "actions", "*", "action.yml"))
	files = append(files, filepath.Join(root, "action.yml"))
	images := map[string]bool{}
	for _, f := range files {
		a, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m := actionImage.FindSubmatch(a)
		if m == nil {
			t.Errorf("%s: no `image: docker://...`", f)
			continue
		}
		images[string(m[1])] = true
	}
	if len(images) != 1 {
		t.Errorf("the action.yml files name %d images, want one: %v", len(images), images)
	}
	for img := range images {
		if !strings.Contains(first, "`"+img+"`") {
			t.Errorf("the README's first screen does not name the image the actions run, `%s`", img)
		}
	}
	for _, want := range []string{"`.github/workflows/release.yml`", "go run " + module + "/cmd/ladder@"} {
		if !strings.Contains(first, want) {
			t.Errorf("the README's first screen does not say %s", want)
		}
	}
}

// untrustedExpr matches expressions whose values an outsider can choose
// (GitHub's security hardening guide): they may reach a script only through
// env:, never interpolated into run:.
var untrustedExpr = regexp.MustCompile(`\$\{\{[^}]*(github\.event\.|github\.head_ref|inputs\.|steps\.[^}]*outputs\.(branch|chain|targets|versions|lock))`)

// TestWorkflowsFollowHardening: every workflow (the project's and the
// examples) states least permissions (top level or on every job), and no
// run: script interpolates untrusted values.
func TestWorkflowsFollowHardening(t *testing.T) {
	root := filepath.Join("..", "..")
	var files []string
	for _, pattern := range []string{".github/workflows/*.yml", "examples/workflows/*.yml"} {
		m, _ := filepath.Glob(filepath.Join(root, pattern))
		files = append(files, m...)
	}
	if len(files) < 6 {
		t.Fatalf("found %d workflows", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var wf struct {
			Permissions any `yaml:"permissions"`
			Jobs        map[string]struct {
				Permissions any `yaml:"permissions"`
				Steps       []struct {
					Run string `yaml:"run"`
				} `yaml:"steps"`
			} `yaml:"jobs"`
		}
		if err := yaml.Unmarshal(data, &wf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		name := filepath.Base(f)
		for job, j := range wf.Jobs {
			if wf.Permissions == nil && j.Permissions == nil {
				t.Errorf("%s: job %s has no permissions (and the workflow sets none): state the least it needs", name, job)
			}
			if p, ok := j.Permissions.(string); ok && strings.Contains(p, "write-all") {
				t.Errorf("%s: job %s asks for write-all", name, job)
			}
			for i, st := range j.Steps {
				if m := untrustedExpr.FindString(st.Run); m != "" {
					t.Errorf("%s: job %s step %d interpolates %q into run:; pass it through env:", name, job, i+1, m)
				}
			}
		}
		if p, ok := wf.Permissions.(string); ok && strings.Contains(p, "write-all") {
			t.Errorf("%s: workflow asks for write-all", name)
		}
	}
}
