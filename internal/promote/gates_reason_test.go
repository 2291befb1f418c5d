package promote

import (
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/lock"
)

// TestPromoteReasonNoCheckSource: SPEC section 4, promote-label: "A gate
// whose checks cover only git: components says so in its reason ("no check
// source"), never "passed"." The reason is the decision's and the move's (the
// ledger entry, and so `ladder status --history`).
func TestPromoteReasonNoCheckSource(t *testing.T) {
	t.Parallel()
	iso := lock.Entry{Name: "iso", Git: "https://git.example.com/iso.git", Ref: "refs/heads/main", Version: "main", Commit: sha('f')}
	cases := []struct {
		name   string
		edit   func(*Input)
		reason string
	}{
		{"gates.components names only a git: component", func(in *Input) {
			in.Gates = Gates{Checks: []string{"build", "e2e"}, Components: []string{"os"}}
		}, "from channel staging; checks build, e2e: no check source, nothing was checked (os is a git: component)"},
		{"checks: all over only a git: component", func(in *Input) {
			in.Gates = Gates{AllChecks: true, Components: []string{"os"}}
		}, "from channel staging; all checks: no check source, nothing was checked (os is a git: component)"},
		{"a lock of git: components only", func(in *Input) {
			in.Lock = []lock.Entry{lockOf[2], iso}
			in.Evidence = nil
		}, "from channel staging; checks build: no check source, nothing was checked (os, iso are git: components)"},
		{"a lock with no component", func(in *Input) { in.Lock, in.Evidence = nil, nil },
			"from channel staging; checks build: no check source, nothing was checked (no component to check)"},
		{"only git: components, with a soak that passed", func(in *Input) {
			in.Gates = Gates{Checks: []string{"build"}, Components: []string{"os"}, Soak: time.Hour}
		}, "from channel staging; checks build: no check source, nothing was checked (os is a git: component); soaked 2h0m0s (1h0m0s required)"},
		{"only git: components, with the user's reason", func(in *Input) {
			in.Gates.Components = []string{"os"}
			in.Reason = "release day"
		}, "from channel staging; checks build: no check source, nothing was checked (os is a git: component): release day"},
		{"repo: components checked, a git: one named", func(in *Input) {},
			"from channel staging; checks build passed; no check source for os (a git: component)"},
		{"repo: components checked, two git: ones named", func(in *Input) {
			in.Lock = append(append([]lock.Entry(nil), lockOf...), iso)
		}, "from channel staging; checks build passed; no check source for os, iso (git: components)"},
		{"every component checked", func(in *Input) { in.Lock = lockOf[:2] },
			"from channel staging; checks build passed"},
		{"all checks, every component checked", func(in *Input) {
			in.Gates = Gates{AllChecks: true, Components: []string{"cli", "toolkit"}}
		}, "from channel staging; all checks passed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in := base()
			c.edit(&in)
			d := Decide(in)
			if d.Outcome != Promoted || d.Move == nil {
				t.Fatalf("outcome %s, move %v, want promoted (a git: component does not block): %s", d.Outcome, d.Move, d.Reason)
			}
			if d.Reason != c.reason {
				t.Errorf("reason\n %q\nwant\n %q", d.Reason, c.reason)
			}
			if d.Move.Reason != d.Reason {
				t.Errorf("the ledger entry's reason %q is not the decision's %q", d.Move.Reason, d.Reason)
			}
			onlyGit := strings.Contains(c.reason, "nothing was checked")
			if onlyGit && strings.Contains(d.Reason, "passed") {
				t.Errorf("a gate that checked nothing says passed: %q", d.Reason)
			}
		})
	}
}

// TestGateLineShowsNoGitCredentials: a git: component's gate line names its
// remote (the step summary's gates table) without the credentials the
// config's URL may hold.
func TestGateLineShowsNoGitCredentials(t *testing.T) {
	t.Parallel()
	in := base()
	in.Lock = append([]lock.Entry(nil), lockOf...)
	in.Lock[2].Git = "https://x-access-token:ghs_Secret123@git.example.com/os.git"
	d := Decide(in)
	found := false
	for _, l := range d.Gates {
		if l.Component != "os" {
			continue
		}
		found = true
		if l.Result != GateNoSource || l.Source != "https://git.example.com/os.git" {
			t.Errorf("os line %+v, want no check source from https://git.example.com/os.git", l)
		}
	}
	if !found {
		t.Fatalf("no gate line for os: %+v", d.Gates)
	}
}
