package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/ledger/record"
)

// catalogLedger writes a workspace whose ledger holds n bundles, all
// published into channel main; label stage took every second one and label
// production every 50th (so each production entry skips 49 bundles and has
// a skipRange). export.olm exports the three streams.
func catalogLedger(tb testing.TB, n int) (ws string) {
	tb.Helper()
	ws = tb.TempDir()
	writeConfig(tb, ws, appConfig("rel", "ghcr.io/acme/rel", "main", `labels:
  stage: {from: main}
  production: {from: stage}
export:
  olm:
    package: rel-operator
    channels: {fast: main, candidate: stage, stable: production}
    default-channel: stable
`))
	doc := record.NewDocument("rel")
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		v := fmt.Sprintf("1.%d.%d", i/1000, i%1000)
		d := fmt.Sprintf("sha256:%064x", i+1)
		at = at.Add(time.Minute)
		check := func(err error) {
			if err != nil {
				tb.Fatal(err)
			}
		}
		check(doc.AddBundle(record.Bundle{Version: v, Digest: d, LockDigest: fmt.Sprintf("sha256:%064x", 1<<40+i), Channel: "main", Created: at}))
		check(doc.Append(record.ChannelStream("main"), record.Entry{Version: v, At: at, Decision: "published"}))
		if i%2 == 0 {
			check(doc.Append(record.LabelStream("stage"), record.Entry{Version: v, At: at, Decision: "promoted"}))
		}
		if i%50 == 0 {
			check(doc.Append(record.LabelStream("production"), record.Entry{Version: v, At: at, Decision: "promoted"}))
		}
	}
	if err := os.WriteFile(filepath.Join(ws, "ledger.json"), doc.Marshal(), 0o644); err != nil {
		tb.Fatal(err)
	}
	return ws
}

// BenchmarkCatalog is SPEC section 9's `ladder catalog` figure: the ladder
// binary, run as a person runs it, printing the catalog of a file ledger
// holding 10,000 bundles (process start, config, ledger read and decode,
// three upgrade graphs, the catalog, its JSON or YAML). It reports the wall
// time per run, the CPU time of the ladder process (user + system: on a
// shared machine, the figure other processes disturb least) and the
// catalog's size.
func BenchmarkCatalog(b *testing.B) {
	bin := ladderBinary(b)
	for _, n := range []int{10000} {
		ws := catalogLedger(b, n)
		for _, format := range []string{"json", "yaml"} {
			b.Run(fmt.Sprintf("bundles=%d/format=%s", n, format), func(b *testing.B) {
				var size int
				var cpu time.Duration
				run := func() {
					cmd := exec.Command(bin, "catalog", "--format", format)
					cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + ws, "GITHUB_WORKSPACE=" + ws}
					var out, errb strings.Builder
					cmd.Stdout, cmd.Stderr = &out, &errb
					if err := cmd.Run(); err != nil {
						b.Fatalf("ladder catalog: %v\n%s", err, errb.String())
					}
					size = out.Len()
					cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
					if !strings.Contains(out.String(), "rel-operator.v1.9.998") {
						b.Fatalf("the catalog lacks the last bundles:\n%.2000s", out.String())
					}
				}
				run() // the page cache and the binary warm, not measured
				cpu = 0
				b.ResetTimer()
				start := time.Now()
				for i := 0; i < b.N; i++ {
					run()
				}
				b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/run")
				b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/run")
				b.ReportMetric(float64(size)/(1<<20), "MiB-out")
			})
		}
	}
}
