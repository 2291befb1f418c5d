package ledger

import (
	"strings"
	"testing"
)

// TestMessageDescribedAtWriteTime: a message may be described when the write
// is made, from what fn decided on the fresh ledger.
func TestMessageDescribedAtWriteTime(t *testing.T) {
	decided := "first guess"
	m := Message{What: "ignored", Actor: "octocat", Describe: func() string { return decided }}
	decided = "promoted label testing to 1.2.0 from 1.1.0"
	if got := m.String(); !strings.HasPrefix(got, "ladder: promoted label testing to 1.2.0 from 1.1.0\n") || !strings.Contains(got, "actor: octocat") {
		t.Errorf("String() = %q", got)
	}
	if m.Summary() != decided {
		t.Errorf("Summary() = %q", m.Summary())
	}
}

func TestMessage(t *testing.T) {
	m := Message{What: "publish dev 1.0.0", Actor: "octocat", Run: "https://github.com/acme/app/actions/runs/42"}
	want := "ladder: publish dev 1.0.0\n\nactor: octocat\nrun: https://github.com/acme/app/actions/runs/42"
	if got := m.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := (Message{What: "hold current"}).String(); got != "ladder: hold current" {
		t.Errorf("got %q", got)
	}
}
