package arch

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAnnotationKeysOnlyInBundle: internal/bundle is the one place that
// knows a bundle's annotation keys and ladder's media types; other code uses
// its constants. (Tests may spell the keys out: they check the wire format.)
func TestAnnotationKeysOnlyInBundle(t *testing.T) {
	literals := []string{`"org.opencontainers.image.`, `"dev.ladder.`, `"application/vnd.ladder.`}
	for _, root := range []string{"..", filepath.Join("..", "..", "cmd")} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (p == filepath.Join("..", "bundle") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			for i, line := range strings.Split(string(b), "\n") {
				for _, l := range literals {
					if strings.Contains(line, l) {
						t.Errorf("%s:%d spells out %s…: use internal/bundle's constant", p, i+1, strings.TrimPrefix(l, `"`))
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
