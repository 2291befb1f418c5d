package cli

import (
	"maps"
	"runtime/debug"
	"strings"
	"testing"
)

func TestParseFlags(t *testing.T) {
	t.Parallel()
	isBool := func(n string) bool { return n == "force" || n == "json" }
	for _, c := range []struct {
		name  string
		args  []string
		flags map[string]string
		bare  []string
	}{
		{"values after a space or =", []string{"--a", "x", "--b=y", "--c="}, map[string]string{"a": "x", "b": "y", "c": ""}, nil},
		{"bare booleans are true", []string{"--force", "--json"}, map[string]string{"force": "true", "json": "true"}, nil},
		{"a boolean takes a value; a bare non-boolean is listed", []string{"--force", "false", "--a"}, map[string]string{"force": "false", "a": ""}, []string{"a"}},
		{"bare flags listed in order", []string{"--a", "--b", "--force"}, map[string]string{"a": "", "b": "", "force": "true"}, []string{"a", "b"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			flags, bare, err := ParseFlags(c.args, isBool)
			if err != nil || !maps.Equal(flags, c.flags) || strings.Join(bare, ",") != strings.Join(c.bare, ",") {
				t.Errorf("%v: %v %v %v; want %v %v", c.args, flags, bare, err, c.flags, c.bare)
			}
		})
	}
}

func TestSplitPositional(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name              string
		args              []string
		positional, flags string
	}{
		{"flags after the arguments", []string{"A", "B", "--config", "x.yaml"}, "A,B", "--config,x.yaml"},
		{"flags between them", []string{"A", "--config", "x.yaml", "B"}, "A,B", "--config,x.yaml"},
		{"--json takes no value", []string{"--json", "A", "B"}, "A,B", "--json"},
		{"a value after =", []string{"--config=x.yaml", "A", "B"}, "A,B", "--config=x.yaml"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			pos, flags := SplitPositional(c.args)
			if strings.Join(pos, ",") != c.positional || strings.Join(flags, ",") != c.flags {
				t.Errorf("%v: %v %v; want %s %s", c.args, pos, flags, c.positional, c.flags)
			}
		})
	}
}

func TestDefault(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, def string
		env       map[string]string
		want      string
	}{
		{"a plain default", "stable", nil, "stable"},
		{"github.token: GITHUB_TOKEN", "${{ github.token }}", map[string]string{"GITHUB_TOKEN": "a", "GH_TOKEN": "b"}, "a"},
		{"github.token: else GH_TOKEN", "${{ github.token }}", map[string]string{"GH_TOKEN": "b"}, "b"},
		{"any other expression: empty", "${{ github.sha }}", map[string]string{"GITHUB_SHA": "c"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := Default(func(k string) string { return c.env[k] }, c.def); got != c.want {
				t.Errorf("%q: %q, want %q", c.def, got, c.want)
			}
		})
	}
}

func TestVersionLine(t *testing.T) {
	t.Parallel()
	vcs := func(settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/ladder-release/ladder", Version: "(devel)"}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	for _, c := range []struct {
		version string
		bi      *debug.BuildInfo
		want    string
	}{
		{"dev", vcs("vcs.revision", "abc1234def5678", "vcs.modified", "true"), "ladder dev (commit abc1234, modified) go1.26.8"},
		{"dev", vcs("vcs.revision", "abc1234def5678", "vcs.modified", "false"), "ladder dev (commit abc1234) go1.26.8"},
		{"v1.2.3", vcs("vcs.revision", "abc1234def5678"), "ladder v1.2.3 (commit abc1234) go1.26.8"},
		// go install ...@v1.4.0 records the module version and no commit
		{"dev", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"}}, "ladder v1.4.0 go1.26.8"},
		// go build in a checkout records a pseudo-version too: the commit says it better
		{"dev", func() *debug.BuildInfo {
			bi := vcs("vcs.revision", "abc1234def5678")
			bi.Main.Version = "v0.0.0-20260101000000-abc1234def56"
			return bi
		}(), "ladder dev (commit abc1234) go1.26.8"},
		// -buildvcs=false with -X ...Version=: the version says it all
		{"v1.2.3", vcs(), "ladder v1.2.3"},
		{"dev", nil, "ladder dev"},
	} {
		if got := VersionLine(c.version, c.bi); got != c.want {
			t.Errorf("VersionLine(%q, %+v) = %q, want %q", c.version, c.bi, got, c.want)
		}
	}
}
