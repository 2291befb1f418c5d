package app

import (
	"bytes"
	"strings"
	"testing"
)

// TestCascadeHostileLedgerBundle: the ledger file is text anyone with write
// access to it can edit. A channel input's dispatch names the bundle the
// ledger says the channel holds (client_payload.ladder.bundle), which a
// receiving workflow reads as a version and digests. A version holding line
// breaks and workflow commands, or a lock digest that is no digest, is
// refused when the ledger is read, with the field named: nothing is
// dispatched, and nothing of it reaches a workflow command or an output.
func TestCascadeHostileLedgerBundle(t *testing.T) {
	w := newS6World(t)
	for _, tc := range []struct{ name, from, to, want string }{
		{"version", `"1.4.0"`, `"1.4.0\n::error::forged-version\nx=y"`, "bundles[1].version"},
		{"lock digest", `"sha256:` + strings.Repeat("2", 64) + `"`, `"sha256:2\n::warning::forged-lock\nchain=forged"`, "bundles[1].lockDigest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := bytes.ReplaceAll(s6Ledger(t), []byte(tc.from), []byte(tc.to))
			if !bytes.Contains(data, []byte("forged")) {
				t.Fatal("the hostile ledger was not written: the test proves nothing")
			}
			before := len(w.gh.Dispatches(s6ISO))
			res := w.run(t, w.moved(t, map[string]string{"token": releaseBot, "channel": "testing"}, data))
			if res.code != ExitFailure || !strings.Contains(res.stdout, tc.want) {
				t.Errorf("exit %d, want %d naming %s:\n%s", res.code, ExitFailure, tc.want, res.stdout)
			}
			if n := len(w.gh.Dispatches(s6ISO)); n != before {
				t.Errorf("%d dispatches sent naming the hostile bundle", n-before)
			}
			for _, l := range statusRunnerProcessed(res.stdout) {
				// the token's mask and the run's own error (its text escaped)
				// are the only commands
				if !strings.HasPrefix(l, "::add-mask::") && !strings.HasPrefix(l, "::error::") || strings.HasPrefix(l, "::error::forged") {
					t.Errorf("the runner would process %q", l)
				}
			}
			for k, v := range res.outputs {
				if strings.Contains(k, "forged") || strings.Contains(v, "forged") || k == "x" {
					t.Errorf("output %s=%q", k, v)
				}
			}
		})
	}
}
