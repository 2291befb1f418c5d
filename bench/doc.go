// Package bench holds ladder's side-by-side benchmarks against peer tools
// (SPEC section 9): each benchmark runs ladder the way a workflow does (the
// built binary as a process, INPUT_* in its environment) and the peer tool
// on the same registry, through a proxy that counts requests and adds
// latency, and reports both. The figures and the commands that produced them
// are in RESULTS.md.
package bench
