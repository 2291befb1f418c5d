package app

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/action/actiontest"
)

// BenchmarkStartToFirstOutput is SPEC section 9's start-up figure: from
// starting the ladder binary as the runner starts an action (INPUT_* set)
// to the first byte it writes (the token's ::add-mask:: line, written before
// anything else happens).
func BenchmarkStartToFirstOutput(b *testing.B) {
	bin := ladderBinary(b)
	var total, worst time.Duration
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(bin, "resolve-channel")
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "GITHUB_ACTIONS=true", "INPUT_CHANNEL=dev",
			"INPUT_TOKEN=" + actiontest.Token, "INPUT_CONFIG=/nonexistent/ladder.yaml", "INPUT_LOCK-FILE=x.json",
			"INPUT_REGISTRY-USERNAME=", "INPUT_REGISTRY-PASSWORD=", "INPUT_DRY-RUN=true"}
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		one := make([]byte, 1)
		if _, err := out.Read(one); err != nil {
			b.Fatal(err)
		}
		d := time.Since(start)
		total += d
		worst = max(worst, d)
		cmd.Wait()
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms-to-first-output")
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
}
