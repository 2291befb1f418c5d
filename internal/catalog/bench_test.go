package catalog_test

import (
	"fmt"
	"io"
	"testing"

	"github.com/ladder-release/ladder/internal/catalog"
)

// BenchmarkBuild is the pure step of `ladder catalog` for 10,000 bundles
// (bench/catalog_test.go measures the whole command): three channels, one
// holding every bundle, one every second, one every 50th, each entry of the
// last skipping 49; then the JSON and the YAML of the catalog.
func BenchmarkBuild(b *testing.B) {
	const n = 10000
	pub := make([]string, n)
	var half, fiftieth []string
	for i := range pub {
		pub[i] = fmt.Sprintf("1.%d.%d", i/1000, i%1000)
		if i%2 == 0 {
			half = append(half, pub[i])
		}
		if i%50 == 0 {
			fiftieth = append(fiftieth, pub[i])
		}
	}
	in := catalog.Input{Package: pkg, DefaultChannel: "stable", Registry: registry, Sources: []catalog.Source{
		{Channel: "fast", Stream: "channel:main", Entries: entries(b, "channel:main", pub, pub...)},
		{Channel: "candidate", Stream: "label:stage", Entries: entries(b, "label:stage", pub, half...)},
		{Channel: "stable", Stream: "label:production", Entries: entries(b, "label:production", pub, fiftieth...)},
	}}
	b.Run("build", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := catalog.Build(in); err != nil {
				b.Fatal(err)
			}
		}
	})
	c, err := catalog.Build(in)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("json", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := c.WriteJSON(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("yaml", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := c.WriteYAML(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
}
