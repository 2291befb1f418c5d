package config_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/config"
)

// TestInvalidConfigs holds one case per rule of SPEC section 3 (and the parser's
// documented decisions): each asserts every rendered error line, in order.
func TestInvalidConfigs(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want []string
	}{
		{
			name: "empty file",
			yaml: ``,
			want: []string{
				"ladder.yaml:1:1: (root): empty file: expected a mapping with version, product, registry, components and channels",
			},
		},
		{
			name: "comments only",
			yaml: `# nothing here
`,
			want: []string{
				"ladder.yaml:1:1: (root): empty file: expected a mapping with version, product, registry, components and channels",
			},
		},
		{
			name: "list document",
			yaml: `- version: 1
`,
			want: []string{
				"ladder.yaml:1:1: (root): expected a mapping, got a list",
			},
		},
		{
			name: "scalar document",
			yaml: `hello
`,
			want: []string{
				"ladder.yaml:1:1: (root): expected a mapping, got the string \"hello\"",
			},
		},
		{
			name: "yaml syntax error",
			yaml: `version: 1
product: [demo
registry: x
`,
			want: []string{
				"ladder.yaml:2:10: product: invalid YAML: did not find expected ',' or ']'; check that this '[' is closed and that its items are separated by ','",
			},
		},
		{
			name: "two documents",
			yaml: `version: 1
---
version: 1
`,
			want: []string{
				"ladder.yaml:1:1: product: required key is missing",
				"ladder.yaml:1:1: registry: required key is missing",
				"ladder.yaml:1:1: components: required key is missing",
				"ladder.yaml:1:1: channels: required key is missing",
				"ladder.yaml:2:1: (root): the file holds more than one YAML document; ladder reads exactly one",
			},
		},
		{
			name: "tab indentation",
			yaml: `version: 1
product:
	demo
`,
			want: []string{
				"ladder.yaml:3:1: product: invalid YAML: found character that cannot start any token; a tab is used for indentation (YAML needs spaces)",
			},
		},
		{
			name: "empty mapping document",
			yaml: `{}
`,
			want: []string{
				"ladder.yaml:1:1: version: required key is missing",
				"ladder.yaml:1:1: product: required key is missing",
				"ladder.yaml:1:1: registry: required key is missing",
				"ladder.yaml:1:1: components: required key is missing",
				"ladder.yaml:1:1: channels: required key is missing",
			},
		},
		{
			name: "version 2",
			yaml: `version: 2
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
`,
			want: []string{
				"ladder.yaml:1:10: version: unsupported version 2 (this ladder reads version 1)",
			},
		},
		{
			name: "version as string",
			yaml: `version: "1"
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
`,
			want: []string{
				"ladder.yaml:1:10: version: expected an integer, got the string \"1\"",
			},
		},
		{
			name: "version as float",
			yaml: `version: 1.0
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
`,
			want: []string{
				"ladder.yaml:1:10: version: expected an integer, got a number",
			},
		},
		{
			name: "version huge",
			yaml: `version: 99999999999999999999999
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
`,
			want: []string{
				"ladder.yaml:1:10: version: integer 99999999999999999999999 is out of range",
			},
		},
		{
			name: "product uppercase",
			yaml: `version: 1
product: Demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
`,
			want: []string{
				"ladder.yaml:2:10: product: invalid product name \"Demo\": must match ^[a-z0-9][a-z0-9._-]*$",
			},
		},
		{
			name: "product integer",
			yaml: `version: 1
product: 123
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
`,
			want: []string{
				"ladder.yaml:2:10: product: expected a string, got an integer; quote it if you mean the string \"123\"",
			},
		},
		{
			name: "product null",
			yaml: `version: 1
product:
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
`,
			want: []string{
				"ladder.yaml:2:9: product: expected a string, got null",
			},
		},
		{
			name: "registry with tag",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo:v1
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
`,
			want: []string{
				"ladder.yaml:3:11: registry: invalid OCI repository \"ghcr.io/acme/demo:v1\": must not contain a tag",
			},
		},
		{
			name: "registry with digest",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
`,
			want: []string{
				"ladder.yaml:3:11: registry: invalid OCI repository \"ghcr.io/acme/demo@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\": must not contain a digest",
			},
		},
		{
			name: "registry without host",
			yaml: `version: 1
product: demo
registry: acme/demo
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
`,
			want: []string{
				"ladder.yaml:3:11: registry: invalid OCI repository \"acme/demo\": \"acme\" is not a registry host; write the repository in full, e.g. ghcr.io/acme/demo or docker.io/acme/demo",
			},
		},
		{
			name: "registry uppercase",
			yaml: `version: 1
product: demo
registry: ghcr.io/Acme/demo
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
`,
			want: []string{
				"ladder.yaml:3:11: registry: invalid OCI repository \"ghcr.io/Acme/demo\": not a valid OCI repository (a registry host, then lowercase path components of letters, digits and separators . _ __ -)",
			},
		},
		{
			name: "ledger unknown",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
ledger: githb
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
`,
			want: []string{
				"ladder.yaml:4:9: ledger: invalid ledger \"githb\": expected github, none or file:PATH (did you mean \"github\"?)",
			},
		},
		{
			name: "ledger file without path",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
ledger: "file:"
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
`,
			want: []string{
				"ladder.yaml:4:9: ledger: invalid ledger \"file:\": file:PATH needs a path",
			},
		},
		{
			name: "unknown top-level key with suggestion",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
label: {testing: {from: dev}}
`,
			want: []string{
				"ladder.yaml:6:1: label: unknown key \"label\" (did you mean \"labels\"?)",
			},
		},
		{
			name: "unknown key without suggestion",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
registries: [a, b]
owner: me
`,
			want: []string{
				"ladder.yaml:6:1: registries: unknown key \"registries\"",
				"ladder.yaml:7:1: owner: unknown key \"owner\"",
			},
		},
		{
			name: "duplicate top-level key",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
product: other
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
`,
			want: []string{
				"ladder.yaml:4:1: product: duplicate key \"product\" (first defined at line 2)",
			},
		},
		{
			name: "duplicate channel",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels:
  dev: {track: {branch: main}}
  dev: {track: {branch: develop}}
`,
			want: []string{
				"ladder.yaml:7:3: channels.dev: duplicate key \"dev\" (first defined at line 6)",
			},
		},
		{
			name: "missing required keys",
			yaml: `version: 1
components: {app: {repo: acme/app}}
`,
			want: []string{
				"ladder.yaml:1:1: product: required key is missing",
				"ladder.yaml:1:1: registry: required key is missing",
				"ladder.yaml:1:1: channels: required key is missing",
			},
		},
		{
			name: "components as list",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: [app]
channels: {dev: {track: {branch: main}}}
`,
			want: []string{
				"ladder.yaml:4:13: components: expected a mapping, got a list",
			},
		},
		{
			name: "components empty",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {}
channels: {dev: {track: {branch: main}}}
`,
			want: []string{
				"ladder.yaml:4:13: components: at least one component is required",
			},
		},
		{
			name: "component name invalid",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components:
  My_App: {repo: acme/app}
channels: {dev: {track: {branch: main}}}
`,
			want: []string{
				"ladder.yaml:5:3: components.My_App: invalid component name \"My_App\": must match ^[a-z0-9][a-z0-9_-]*$",
			},
		},
		{
			name: "component without repo or git",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components:
  app: {tag-prefix: app/}
channels: {dev: {track: {branch: main}}}
`,
			want: []string{
				"ladder.yaml:5:8: components.app: one of \"repo\" (owner/name on GitHub) or \"git\" (a git URL) is required",
			},
		},
		{
			name: "component with repo and git",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components:
  app: {repo: acme/app, git: "https://example.com/app.git"}
channels: {dev: {track: {branch: main}}}
`,
			want: []string{
				"ladder.yaml:5:25: components.app: \"repo\" and \"git\" are mutually exclusive",
			},
		},
		{
			name: "component bad repo",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components:
  app: {repo: acme}
  cli: {repo: -acme/cli}
channels: {dev: {track: {branch: main}}}
`,
			want: []string{
				"ladder.yaml:5:15: components.app.repo: invalid GitHub repository \"acme\": expected owner/name (letters, digits, \"-\" in the owner; letters, digits, \".\", \"_\", \"-\" in the name)",
				"ladder.yaml:6:15: components.cli.repo: invalid GitHub repository \"-acme/cli\": expected owner/name (letters, digits, \"-\" in the owner; letters, digits, \".\", \"_\", \"-\" in the name)",
			},
		},
		{
			name: "component bad git url",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components:
  app: {git: "ftp://example.com/app.git"}
  cli: {git: "example.com/cli"}
  os: {git: "https:///os.git"}
channels: {dev: {track: {branch: main}}}
`,
			want: []string{
				"ladder.yaml:5:14: components.app.git: invalid git URL \"ftp://example.com/app.git\": unsupported scheme \"ftp\" (use https, http, ssh, git or file, or user@host:path)",
				"ladder.yaml:6:14: components.cli.git: invalid git URL \"example.com/cli\": not a git URL (use https://, http://, ssh://, git://, file:// or user@host:path)",
				"ladder.yaml:7:13: components.os.git: invalid git URL \"https:///os.git\": has no host",
			},
		},
		{
			name: "component bad tag prefix",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components:
  app: {repo: acme/app, tag-prefix: "app version "}
channels: {dev: {track: {branch: main}}}
`,
			want: []string{
				"ladder.yaml:5:37: components.app.tag-prefix: invalid tag prefix \"app version \": tags such as \"app version v1.0.0\" would not be valid git tag names (contains a space or control character)",
			},
		},
		{
			name: "component is a string",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components:
  app: acme/app
channels: {dev: {track: {branch: main}}}
`,
			want: []string{
				"ladder.yaml:5:8: components.app: expected a mapping, got the string \"acme/app\"",
			},
		},
		{
			name: "channels empty",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels: {}
`,
			want: []string{
				"ladder.yaml:5:11: channels: at least one channel is required",
			},
		},
		{
			name: "channel names invalid",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels:
  .hidden: {track: {branch: main}}
  release/1: {track: {branch: main}}
  1.2.3: {track: {branch: main}}
  v2: {track: {branch: main}}
  dev-previous: {track: {branch: main}}
  sha-main: {track: {branch: main}}
  b366a24: {track: {branch: main}}
`,
			want: []string{
				"ladder.yaml:6:3: channels..hidden: invalid channel name \".hidden\": not a valid OCI tag (must match ^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$)",
				"ladder.yaml:7:3: channels.release/1: invalid channel name \"release/1\": not a valid OCI tag (must match ^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$)",
				"ladder.yaml:8:3: channels.1.2.3: invalid channel name \"1.2.3\": it parses as a semver version and would clash with version tags",
				"ladder.yaml:9:3: channels.v2: invalid channel name \"v2\": it parses as a semver version and would clash with version tags",
				"ladder.yaml:10:3: channels.dev-previous: invalid channel name \"dev-previous\": names ending in \"-previous\" are reserved for labels' previous values",
				"ladder.yaml:11:3: channels.sha-main: invalid channel name \"sha-main\": names starting with \"sha-\" are reserved for commit tags",
				"ladder.yaml:12:3: channels.b366a24: invalid channel name \"b366a24\": it looks like a composite id and would clash with composite id tags",
			},
		},
		{
			name: "track missing",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels:
  dev:
    version: {prerelease: dev}
`,
			want: []string{
				"ladder.yaml:7:5: channels.dev.track: required key is missing",
			},
		},
		{
			name: "track misspelt",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels:
  dev:
    trak: {branch: main}
`,
			want: []string{
				"ladder.yaml:7:5: channels.dev.trak: unknown key \"trak\" (did you mean \"track\"?)",
			},
		},
		{
			name: "track empty",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels:
  dev:
    track: {}
`,
			want: []string{
				"ladder.yaml:7:12: channels.dev.track: one of \"branch\", \"semver\", \"pin\" or \"label\" is required",
			},
		},
		{
			name: "track is a string",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels:
  dev:
    track: main
`,
			want: []string{
				"ladder.yaml:7:12: channels.dev.track: expected a mapping, got the string \"main\"",
			},
		},
		{
			name: "track with two policies",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels:
  dev:
    track: {branch: main, semver: ">=1"}
`,
			want: []string{
				"ladder.yaml:7:27: channels.dev.track: \"branch\" and \"semver\" are mutually exclusive",
			},
		},
		{
			name: "prerelease without semver",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels:
  dev:
    track: {branch: main, prerelease: true}
`,
			want: []string{
				"ladder.yaml:7:27: channels.dev.track.prerelease: only allowed with \"semver\"",
			},
		},
		{
			name: "prerelease not a boolean",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels:
  staging:
    track: {semver: "^1", prerelease: yes}
`,
			want: []string{
				"ladder.yaml:7:39: channels.staging.track.prerelease: expected a boolean (true or false), got the string \"yes\"",
			},
		},
		{
			name: "invalid semver constraint",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels:
  staging:
    track: {semver: ">=x.1"}
`,
			want: []string{
				"ladder.yaml:7:21: channels.staging.track.semver: invalid semver constraint \">=x.1\": \"x.1\" has a number after a wildcard",
			},
		},
		{
			name: "invalid branch names",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}, cli: {repo: acme/cli}}
channels:
  dev:
    track: {branch: "feature..x"}
    components:
      app: {branch: "-main"}
      cli: {branch: "a b"}
`,
			want: []string{
				"ladder.yaml:7:21: channels.dev.track.branch: invalid branch name \"feature..x\": contains \"..\"",
				"ladder.yaml:9:21: channels.dev.components.app.branch: invalid branch name \"-main\": starts with \"-\"",
				"ladder.yaml:10:21: channels.dev.components.cli.branch: invalid branch name \"a b\": contains a space or control character",
			},
		},
		{
			name: "branch is an integer",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels:
  dev:
    track: {branch: 2024}
`,
			want: []string{
				"ladder.yaml:7:21: channels.dev.track.branch: expected a string, got an integer; quote it if you mean the string \"2024\"",
			},
		},
		{
			name: "pin for unknown component",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {cli: {repo: acme/cli}}
channels:
  stable:
    track: {pin: {cli: v1.0.0, clii: v1.0.0}}
`,
			want: []string{
				"ladder.yaml:7:32: channels.stable.track.pin.clii: unknown component \"clii\" (did you mean \"cli\"?)",
			},
		},
		{
			name: "missing pins",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {cli: {repo: acme/cli}, os: {repo: acme/os}, app: {repo: acme/app}}
channels:
  stable:
    track: {pin: {cli: v1.0.0}}
    components:
      app: {branch: main}
`,
			want: []string{
				"ladder.yaml:7:18: channels.stable.track.pin: missing pin for component \"os\" (pin every component, or give it a policy under channels.stable.components)",
			},
		},
		{
			name: "invalid pins",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {cli: {repo: acme/cli}, os: {repo: acme/os}}
channels:
  stable:
    track:
      pin:
        cli: "v1 .0"
        os: 1.0
`,
			want: []string{
				"ladder.yaml:9:14: channels.stable.track.pin.cli: invalid pin \"v1 .0\": neither a git tag name (contains a space or control character) nor a full 40-hex commit SHA",
				"ladder.yaml:10:13: channels.stable.track.pin.os: expected a string, got a number; quote it if you mean the string \"1.0\"",
			},
		},
		{
			name: "unknown track label",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels:
  nightly:
    track: {label: curent}
labels:
  current: {from: nightly}
`,
			want: []string{
				"ladder.yaml:7:20: channels.nightly.track.label: unknown label \"curent\": no such label under labels (did you mean \"current\"?)",
			},
		},
		{
			name: "override for unknown component",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels:
  dev:
    track: {branch: main}
    components:
      ap: {branch: develop}
`,
			want: []string{
				"ladder.yaml:9:7: channels.dev.components.ap: unknown component \"ap\" (did you mean \"app\"?)",
			},
		},
		{
			name: "overrides under a label track",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels:
  dev: {track: {branch: main}}
  nightly:
    track: {label: current}
    components: {app: {branch: main}}
labels:
  current: {from: dev}
`,
			want: []string{
				"ladder.yaml:9:5: channels.nightly.components: per-component policies are not allowed when the channel tracks a label",
			},
		},
		{
			name: "override with label or pin mapping",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}, cli: {repo: acme/cli}}
channels:
  dev:
    track: {branch: main}
    components:
      app: {label: current}
      cli: {pin: {cli: v1}}
labels:
  current: {from: dev}
`,
			want: []string{
				"ladder.yaml:9:13: channels.dev.components.app.label: only a whole channel can follow a label (track: {label: ...}), not one component",
				"ladder.yaml:10:18: channels.dev.components.cli.pin: expected a string, got a mapping",
			},
		},
		{
			name: "version rule empty or double",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels:
  dev:
    track: {branch: main}
    version: {}
  stable:
    track: {semver: "^1"}
    version: {bump: patch, from: app}
`,
			want: []string{
				"ladder.yaml:8:14: channels.dev.version: one of \"prerelease\", \"from\" or \"bump\" is required",
				"ladder.yaml:11:28: channels.stable.version: \"bump\" and \"from\" are mutually exclusive",
			},
		},
		{
			name: "version rule bad values",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels:
  dev:
    track: {branch: main}
    version: {prerelease: dev.1}
  nightly:
    track: {branch: main}
    version: {prerelease: "01"}
  staging:
    track: {semver: "^1"}
    version: {from: operator}
  stable:
    track: {semver: "^1"}
    version: {bump: huge}
`,
			want: []string{
				"ladder.yaml:8:27: channels.dev.version.prerelease: invalid prerelease \"dev.1\": must be one semver prerelease identifier (letters, digits and \"-\"; no leading zero in a number)",
				"ladder.yaml:11:27: channels.nightly.version.prerelease: invalid prerelease \"01\": must be one semver prerelease identifier (letters, digits and \"-\"; no leading zero in a number)",
				"ladder.yaml:14:21: channels.staging.version.from: unknown component \"operator\"",
				"ladder.yaml:17:21: channels.stable.version.bump: invalid bump \"huge\": expected major, minor or patch",
			},
		},
		{
			name: "retention bad values",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels:
  a: {track: {branch: main}, retention: {keep: 0}}
  b: {track: {branch: main}, retention: {keep: some}}
  c: {track: {branch: main}, retention: {}}
  d: {track: {branch: main}, retention: 5}
`,
			want: []string{
				"ladder.yaml:6:48: channels.a.retention.keep: expected \"all\" or an integer >= 1, got 0",
				"ladder.yaml:7:48: channels.b.retention.keep: expected \"all\" or an integer >= 1, got the string \"some\"",
				"ladder.yaml:8:41: channels.c.retention.keep: required key is missing",
				"ladder.yaml:9:41: channels.d.retention: expected a mapping, got an integer",
			},
		},
		{
			name: "constraints bad",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}, os: {repo: acme/os}}
channels: {dev: {track: {branch: main}}}
constraints:
  - same-version: [app]
  - same-version: [app, app]
  - same-version: [app, oss]
  - same-versions: [app, os]
  - same-version: app
`,
			want: []string{
				"ladder.yaml:7:19: constraints[0].same-version: at least 2 components are required, got 1",
				"ladder.yaml:8:25: constraints[1].same-version[1]: component \"app\" is listed twice",
				"ladder.yaml:9:25: constraints[2].same-version[1]: unknown component \"oss\" (did you mean \"os\"?)",
				"ladder.yaml:10:5: constraints[3].same-versions: unknown key \"same-versions\" (did you mean \"same-version\"?)",
				"ladder.yaml:11:19: constraints[4].same-version: expected a list, got the string \"app\"",
			},
		},
		{
			name: "constraints not a list",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
constraints: {same-version: [app, os]}
`,
			want: []string{
				"ladder.yaml:6:14: constraints: expected a list, got a mapping",
			},
		},
		{
			name: "label names invalid",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
labels:
  dev: {from: dev}
  sha-1: {from: dev}
  current-previous: {from: dev}
  v1: {from: dev}
  xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx: {from: dev}
`,
			want: []string{
				"ladder.yaml:7:3: labels.dev: label \"dev\" has the same name as a channel; they share the registry's tags",
				"ladder.yaml:8:3: labels.sha-1: invalid label name \"sha-1\": names starting with \"sha-\" are reserved for commit tags",
				"ladder.yaml:9:3: labels.current-previous: invalid label name \"current-previous\": names ending in \"-previous\" are reserved for labels' previous values",
				"ladder.yaml:10:3: labels.v1: invalid label name \"v1\": it parses as a semver version and would clash with version tags",
				"ladder.yaml:11:3: labels.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx: invalid label name \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx-previous\" would be longer than 128 characters, the limit of an OCI tag",
			},
		},
		{
			name: "label from missing, dangling, itself",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels: {staging: {track: {branch: main}}}
labels:
  a: {gates: {soak: 1h}}
  b: {from: stagin}
  c: {from: c}
`,
			want: []string{
				"ladder.yaml:7:6: labels.a.from: required key is missing",
				"ladder.yaml:8:13: labels.b.from: unknown channel or label \"stagin\" (did you mean \"staging\"?)",
				"ladder.yaml:9:13: labels.c.from: label \"c\" cannot come from itself",
			},
		},
		{
			name: "label cycle",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
labels:
  testing: {from: current}
  current: {from: testing}
  stable: {from: current}
`,
			want: []string{
				"ladder.yaml:7:19: labels.testing.from: cycle testing -> current -> testing",
			},
		},
		{
			name: "label cycle through a channel",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels:
  nightly: {track: {label: current}}
labels:
  current: {from: nightly}
`,
			want: []string{
				"ladder.yaml:6:28: channels.nightly.track.label: cycle nightly -> current -> nightly",
			},
		},
		{
			name: "gates bad values",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
labels:
  a: {from: dev, gates: {checks: any}}
  b: {from: dev, gates: {checks: [build, "", build]}}
  c: {from: dev, gates: {soak: 2 days}}
  d: {from: dev, gates: {soak: -1h}}
  e: {from: dev, gates: {soak: 1h, components: [ap]}}
  f: {from: dev, gates: {soak: 3600}}
  g: {from: dev, gates: {timeout: 1h}}
  h: {from: dev, quarantine: "true"}
  i: {from: dev, gates: [build]}
`,
			want: []string{
				"ladder.yaml:7:34: labels.a.gates.checks: expected \"all\" or a list of check names, got the string \"any\"",
				"ladder.yaml:8:42: labels.b.gates.checks[1]: empty check name",
				"ladder.yaml:8:46: labels.b.gates.checks[2]: check \"build\" is listed twice",
				"ladder.yaml:9:32: labels.c.gates.soak: invalid duration \"2 days\": not a duration (use Go units ns, us, ms, s, m, h, and d for days, e.g. \"90m\", \"24h\" or \"2d\")",
				"ladder.yaml:10:32: labels.d.gates.soak: invalid duration \"-1h\": must not be negative",
				"ladder.yaml:11:49: labels.e.gates.components[0]: unknown component \"ap\" (did you mean \"app\"?)",
				"ladder.yaml:12:32: labels.f.gates.soak: expected a string, got an integer; quote it if you mean the string \"3600\"",
				"ladder.yaml:13:26: labels.g.gates.timeout: unknown key \"timeout\"",
				"ladder.yaml:14:30: labels.h.quarantine: expected a boolean (true or false), got the string \"true\"",
				"ladder.yaml:15:25: labels.i.gates: expected a mapping, got a list",
			},
		},
		{
			name: "signed gates bad values",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
labels:
  a: {from: dev, gates: {signed: {issuer: "https://token.actions.githubusercontent.com", identity: "^(unclosed$"}}}
  b: {from: dev, gates: {signed: {issuer: "https://token.actions.githubusercontent.com", identity: "acme/release"}}}
  c: {from: dev, gates: {signed: {issuer: "https://token.actions.githubusercontent.com"}}}
  d: {from: dev, gates: {signed: {key: keys/l.pub, issuer: "https://token.actions.githubusercontent.com"}}}
  e: {from: dev, gates: {signed: {}}}
  f: {from: dev, gates: {signed: {issuer: "token.actions.githubusercontent.com", identity: "^x$"}}}
  g: {from: dev, gates: {signed: {keyy: a.pub}}}
  h: {from: dev, sign: "yes"}
`,
			want: []string{
				"ladder.yaml:7:100: labels.a.gates.signed.identity: identity \"^(unclosed$\" is not a valid regular expression: error parsing regexp: missing closing ): `^(unclosed$`",
				"ladder.yaml:8:100: labels.b.gates.signed.identity: identity \"acme/release\" must be anchored (^...$): unanchored, it matches any identity that contains it, e.g. another repository's workflow",
				"ladder.yaml:9:35: labels.c.gates.signed: a keyless signed gate needs both issuer and identity: identity is missing",
				"ladder.yaml:10:35: labels.d.gates.signed.key: a signed gate takes issuer and identity (keyless) or key, not both",
				"ladder.yaml:11:34: labels.e.gates.signed: a signed gate needs issuer and identity (keyless signatures) or key: PATH (a public key)",
				"ladder.yaml:12:43: labels.f.gates.signed.issuer: issuer \"token.actions.githubusercontent.com\" is not an https URL (GitHub Actions: https://token.actions.githubusercontent.com)",
				"ladder.yaml:13:34: labels.g.gates.signed: a signed gate needs issuer and identity (keyless signatures) or key: PATH (a public key)",
				"ladder.yaml:13:35: labels.g.gates.signed.keyy: unknown key \"keyy\" (did you mean \"key\"?)",
				"ladder.yaml:14:24: labels.h.sign: expected a boolean (true or false), got the string \"yes\"",
			},
		},
		{
			name: "signing bad values",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
signing:
  keyless: {fulcio-url: "http://fulcio.example", rekor-url: "https://u:p@rekor.example", trusted-root: ""}
  key: {private-key: keys/ladder.key, public-key: keys/ladder.pub}
`,
			want: []string{
				"ladder.yaml:7:25: signing.keyless.fulcio-url: \"http://fulcio.example\" must be https (http only for a loopback address)",
				"ladder.yaml:7:61: signing.keyless.rekor-url: \"https://u:p@rekor.example\" must be a base URL: no credentials, query or fragment",
				"ladder.yaml:7:104: signing.keyless.trusted-root: empty path",
				"ladder.yaml:8:3: signing.key: signing takes keyless or key, not both",
				"ladder.yaml:8:22: signing.key.private-key: the private key is read from an environment variable, never from the file: write env:NAME (e.g. env:LADDER_SIGNING_KEY, set from a secret)",
			},
		},
		{
			name: "signing empty",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
signing: {}
`,
			want: []string{
				"ladder.yaml:6:10: signing: signing needs keyless: {} (Sigstore, with the workflow's OIDC token) or key: {private-key: env:NAME}",
			},
		},
		{
			name: "signing key needs an env name",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
signing:
  key: {private-key: "env:1BAD"}
`,
			want: []string{
				"ladder.yaml:7:22: signing.key.private-key: \"1BAD\" is not an environment variable name",
			},
		},
		{
			// SPEC section 4, promote-label: checks name what must pass; an
			// empty list would gate on nothing and promote everything
			name: "gates checks empty list",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
labels:
  a: {from: dev, gates: {checks: []}}
  b:
    from: dev
    gates:
      soak: 1h
      checks: []
  c: {from: dev, gates: {checks: [""]}}
`,
			want: []string{
				"ladder.yaml:7:34: labels.a.gates.checks: an empty list checks nothing: list at least one check (checks: [build]), or checks: all",
				"ladder.yaml:12:15: labels.b.gates.checks: an empty list checks nothing: list at least one check (checks: [build]), or checks: all",
				"ladder.yaml:13:35: labels.c.gates.checks[0]: empty check name",
			},
		},
		{
			name: "cascade event type bad",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
cascade:
  event-type: ""
  repos:
    - {repo: acme/os, when: {branch: main}, event-type: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx}
`,
			want: []string{
				"ladder.yaml:7:15: cascade.event-type: must be 1 to 100 characters (GitHub's limit for a repository_dispatch event type), got 0",
				"ladder.yaml:9:57: cascade.repos[0].event-type: must be 1 to 100 characters (GitHub's limit for a repository_dispatch event type), got 101",
			},
		},
		{
			name: "cascade branches cycle",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
cascade:
  branches:
    production: [staging]
    staging: [snapshot]
    snapshot: [production]
    main: [main]
`,
			want: []string{
				"ladder.yaml:8:5: cascade.branches: cycle production -> staging -> snapshot -> production",
				"ladder.yaml:11:5: cascade.branches: cycle main -> main",
			},
		},
		{
			name: "cascade branches bad names and types",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
cascade:
  branches:
    "bad~name": [staging]
    staging: snapshot
    snapshot: ["x..y", snapshot2, snapshot2]
`,
			want: []string{
				"ladder.yaml:8:5: cascade.branches.bad~name: invalid branch name \"bad~name\": contains \"~\"",
				"ladder.yaml:9:14: cascade.branches.staging: expected a list, got the string \"snapshot\"",
				"ladder.yaml:10:16: cascade.branches.snapshot[0]: invalid branch name \"x..y\": contains \"..\"",
				"ladder.yaml:10:35: cascade.branches.snapshot[2]: branch \"snapshot2\" is listed twice",
			},
		},
		{
			name: "cascade repos bad",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
cascade:
  repos:
    - {repo: acme/os}
    - {repo: acme/iso, when: {branch: main, channel: dev}}
    - {repo: acme/iso, when: {channel: stable}}
    - {repo: "acme iso", when: {}}
    - acme/docs
`,
			want: []string{
				"ladder.yaml:8:7: cascade.repos[0].when: required key is missing",
				"ladder.yaml:9:45: cascade.repos[1].when: \"branch\" and \"channel\" are mutually exclusive",
				"ladder.yaml:10:40: cascade.repos[2].when.channel: unknown channel \"stable\"",
				"ladder.yaml:11:14: cascade.repos[3].repo: invalid GitHub repository \"acme iso\": expected owner/name (letters, digits, \"-\" in the owner; letters, digits, \".\", \"_\", \"-\" in the name)",
				"ladder.yaml:11:32: cascade.repos[3].when: one of \"branch\" or \"channel\" is required",
				"ladder.yaml:12:7: cascade.repos[4]: expected a mapping, got the string \"acme/docs\"",
			},
		},
		{
			name: "export not a mapping",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components:
  app: {repo: acme/app}
channels:
  dev: {track: {branch: main}}
labels:
  current: {from: dev}
export: olm
`,
			want: []string{
				"ladder.yaml:10:9: export: expected a mapping, got the string \"olm\"",
			},
		},
		{
			name: "export unknown key",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components:
  app: {repo: acme/app}
channels:
  dev: {track: {branch: main}}
labels:
  current: {from: dev}
export:
  olms: {package: demo, channels: {stable: current}, default-channel: stable}
  helm: {}
`,
			want: []string{
				"ladder.yaml:11:3: export.olms: unknown key \"olms\" (did you mean \"olm\"?)",
				"ladder.yaml:12:3: export.helm: unknown key \"helm\" (did you mean \"olm\"?)",
			},
		},
		{
			name: "export olm not a mapping",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components:
  app: {repo: acme/app}
channels:
  dev: {track: {branch: main}}
labels:
  current: {from: dev}
export:
  olm: [demo]
`,
			want: []string{
				"ladder.yaml:11:8: export.olm: expected a mapping, got a list",
			},
		},
		{
			name: "export olm required keys missing",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components:
  app: {repo: acme/app}
channels:
  dev: {track: {branch: main}}
labels:
  current: {from: dev}
export:
  olm: {}
`,
			want: []string{
				"ladder.yaml:11:8: export.olm.package: required key is missing",
				"ladder.yaml:11:8: export.olm.channels: required key is missing",
				"ladder.yaml:11:8: export.olm.default-channel: required key is missing",
			},
		},
		{
			name: "export olm unknown key",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components:
  app: {repo: acme/app}
channels:
  dev: {track: {branch: main}}
labels:
  current: {from: dev}
export:
  olm:
    package: demo
    channels: {stable: current}
    default-channel: stable
    default-chanel: stable
    icon: x.svg
`,
			want: []string{
				"ladder.yaml:15:5: export.olm.default-chanel: unknown key \"default-chanel\" (did you mean \"default-channel\"?)",
				"ladder.yaml:16:5: export.olm.icon: unknown key \"icon\"",
			},
		},
		{
			name: "export olm package not a DNS-1123 label",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components:
  app: {repo: acme/app}
channels:
  dev: {track: {branch: main}}
labels:
  current: {from: dev}
export:
  olm:
    package: Demo_Operator
    channels: {stable: current}
    default-channel: stable
`,
			want: []string{
				"ladder.yaml:12:14: export.olm.package: invalid OLM package name \"Demo_Operator\": OLM needs a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)",
			},
		},
		{
			name: "export olm package too long",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components:
  app: {repo: acme/app}
channels:
  dev: {track: {branch: main}}
labels:
  current: {from: dev}
export:
  olm:
    package: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
    channels: {stable: current}
    default-channel: stable
`,
			want: []string{
				"ladder.yaml:12:14: export.olm.package: invalid OLM package name \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": OLM needs a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)",
			},
		},
		{
			name: "export olm package not a string",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components:
  app: {repo: acme/app}
channels:
  dev: {track: {branch: main}}
labels:
  current: {from: dev}
export:
  olm:
    package: 12
    channels: {stable: current}
    default-channel: stable
`,
			want: []string{
				"ladder.yaml:12:14: export.olm.package: expected a string, got an integer; quote it if you mean the string \"12\"",
			},
		},
		{
			name: "export olm channels empty",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components:
  app: {repo: acme/app}
channels:
  dev: {track: {branch: main}}
labels:
  current: {from: dev}
export:
  olm:
    package: demo
    channels: {}
    default-channel: stable
`,
			want: []string{
				"ladder.yaml:13:15: export.olm.channels: at least one OLM channel is required (OLM channel: ladder label or channel)",
			},
		},
		{
			name: "export olm channels a list",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components:
  app: {repo: acme/app}
channels:
  dev: {track: {branch: main}}
labels:
  current: {from: dev}
export:
  olm:
    package: demo
    channels: [stable]
    default-channel: stable
`,
			want: []string{
				"ladder.yaml:13:15: export.olm.channels: expected a mapping, got a list",
			},
		},
		{
			name: "export olm channel name invalid",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components:
  app: {repo: acme/app}
channels:
  dev: {track: {branch: main}}
labels:
  current: {from: dev}
export:
  olm:
    package: demo
    channels: {stable: current, "-beta": dev, "a b": dev}
    default-channel: stable
`,
			want: []string{
				"ladder.yaml:13:33: export.olm.channels.-beta: invalid OLM channel name \"-beta\": must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$",
				"ladder.yaml:13:47: export.olm.channels.a b: invalid OLM channel name \"a b\": must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$",
			},
		},
		{
			name: "export olm channel follows a non-string",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components:
  app: {repo: acme/app}
channels:
  dev: {track: {branch: main}}
labels:
  current: {from: dev}
export:
  olm:
    package: demo
    channels: {stable: {label: current}, beta: [dev]}
    default-channel: stable
`,
			want: []string{
				"ladder.yaml:13:24: export.olm.channels.stable: expected a string, got a mapping",
				"ladder.yaml:13:48: export.olm.channels.beta: expected a string, got a list",
			},
		},
		{
			name: "export olm duplicate channel",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components:
  app: {repo: acme/app}
channels:
  dev: {track: {branch: main}}
labels:
  current: {from: dev}
export:
  olm:
    package: demo
    channels:
      stable: current
      stable: dev
    default-channel: stable
`,
			want: []string{
				"ladder.yaml:15:7: export.olm.channels.stable: duplicate key \"stable\" (first defined at line 14)",
			},
		},
		{
			name: "export olm default channel not one of the channels",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components:
  app: {repo: acme/app}
channels:
  dev: {track: {branch: main}}
labels:
  current: {from: dev}
export:
  olm:
    package: demo
    channels: {stable: current, candidate: dev}
    default-channel: stabel
`,
			want: []string{
				"ladder.yaml:14:22: export.olm.default-channel: \"stabel\" is not one of export.olm.channels (stable, candidate) (did you mean \"stable\"?)",
			},
		},
		{
			name: "export olm default channel not a string",
			yaml: `version: 1
product: demo
registry: ghcr.io/acme/demo
components:
  app: {repo: acme/app}
channels:
  dev: {track: {branch: main}}
labels:
  current: {from: dev}
export:
  olm:
    package: demo
    channels: {stable: current}
    default-channel: [stable]
`,
			want: []string{
				"ladder.yaml:14:22: export.olm.default-channel: expected a string, got a list",
			},
		},
		{
			name: "several errors in one file",
			yaml: `version: 3
product: Demo
registry: ghcr.io/acme/demo:latest
ledger: s3
components:
  app: {rep: acme/app}
channels:
  1.0.0: {track: {semver: ">=x"}}
  dev: {track: {pin: {ap: v1}}}
labels:
  testing: {from: nowhere, gates: {soak: forever}}
cascade:
  branches: {a: [b], b: [a]}
`,
			want: []string{
				"ladder.yaml:1:10: version: unsupported version 3 (this ladder reads version 1)",
				"ladder.yaml:2:10: product: invalid product name \"Demo\": must match ^[a-z0-9][a-z0-9._-]*$",
				"ladder.yaml:3:11: registry: invalid OCI repository \"ghcr.io/acme/demo:latest\": must not contain a tag",
				"ladder.yaml:4:9: ledger: invalid ledger \"s3\": expected github, none or file:PATH",
				"ladder.yaml:6:9: components.app.rep: unknown key \"rep\" (did you mean \"repo\"?)",
				"ladder.yaml:8:3: channels.1.0.0: invalid channel name \"1.0.0\": it parses as a semver version and would clash with version tags",
				"ladder.yaml:9:23: channels.dev.track.pin.ap: unknown component \"ap\" (did you mean \"app\"?)",
				"ladder.yaml:11:19: labels.testing.from: unknown channel or label \"nowhere\"",
				"ladder.yaml:11:42: labels.testing.gates.soak: invalid duration \"forever\": not a duration (use Go units ns, us, ms, s, m, h, and d for days, e.g. \"90m\", \"24h\" or \"2d\")",
				"ladder.yaml:13:14: cascade.branches: cycle a -> b -> a",
			},
		},
	}
	if len(cases) < 30 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Parse("ladder.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("Parse accepted the config: %+v", c)
			}
			if c != nil {
				t.Errorf("Parse returned a config with an error")
			}
			var errs config.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want config.Errors", err)
			}
			checkErrors(t, errs)
			got := strings.Split(err.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("errors:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

// checkErrors asserts what every config error promises: a position with a line,
// a field, a message that starts with the field, and file order.
func checkErrors(t *testing.T, errs config.Errors) {
	t.Helper()
	if len(errs) == 0 {
		t.Fatal("empty Errors")
	}
	for i, e := range errs {
		if e.Pos.Line < 1 || e.Pos.Col < 1 {
			t.Errorf("error %q has no position", e.Error())
		}
		if e.Field == "" || !strings.HasPrefix(e.Message, e.Field+": ") {
			t.Errorf("error %q: field %q does not start the message", e.Error(), e.Field)
		}
		if i > 0 {
			p, q := errs[i-1].Pos, e.Pos
			if q.Line < p.Line || (q.Line == p.Line && q.Col < p.Col) {
				t.Errorf("errors out of order: %v before %v", p, q)
			}
		}
	}
}

// TestHostileInput: huge values, many errors and alias bombs stay cheap.
func TestHostileInput(t *testing.T) {
	head := "version: 1\nproduct: p\nregistry: ghcr.io/a/p\ncomponents: {a: {repo: o/a}}\nchannels: {dev: {track: {branch: main}}}\n"
	parse := func(t *testing.T, yaml string) config.Errors {
		t.Helper()
		_, err := config.Parse("ladder.yaml", []byte(yaml))
		var errs config.Errors
		if !errors.As(err, &errs) {
			t.Fatalf("error %v, want config.Errors", err)
		}
		checkErrors(t, errs)
		return errs
	}
	t.Run("huge value", func(t *testing.T) {
		errs := parse(t, "version: 1\nproduct: &p "+strings.Repeat("X", 100000)+"\nregistry: *p\ncomponents: {a: {repo: *p}}\nchannels: {dev: {track: {branch: main}}}\n")
		if len(errs) != 3 {
			t.Fatalf("got %d errors: %v", len(errs), errs)
		}
		for _, e := range errs {
			if len(e.Message) > 1000 || !strings.Contains(e.Message, `XXX..."`) {
				t.Errorf("message not shortened: %.300s", e.Message)
			}
		}
	})
	t.Run("many errors", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(head)
		for i := 0; i < 300; i++ {
			fmt.Fprintf(&b, "unknown%d: x\n", i)
		}
		errs := parse(t, b.String())
		if len(errs) != 201 {
			t.Fatalf("got %d errors, want 200 and a last one", len(errs))
		}
		want := "ladder.yaml:206:1: (root): too many errors, 100 more not shown"
		if got := errs[200].Error(); got != want {
			t.Errorf("last error %q, want %q", got, want)
		}
	})
	t.Run("merge bomb", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(head + "labels:\n  l0: &l0 {from: dev}\n")
		for i := 1; i < 10; i++ {
			fmt.Fprintf(&b, "  l%d: &l%d\n    <<: [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 8), ", "))
		}
		// l(i) merges 8^i copies of l0's key (l9: 134 million): l1..l5 stay
		// within the work budget, l6 alone exceeds it. The budget must stop
		// the parser in l6, once, and leave l1..l5 fully checked; without it
		// the test does not end.
		errs := parse(t, b.String())
		var budget []string
		for _, e := range errs {
			if strings.Contains(e.Message, "too many keys") {
				budget = append(budget, e.Error())
			}
			for i := 1; i <= 5; i++ {
				if f := fmt.Sprintf("labels.l%d", i); e.Field == f || strings.HasPrefix(e.Field, f+".") {
					t.Errorf("error about %s, which is within the budget: %v", f, e)
				}
			}
		}
		want := "ladder.yaml:7:12: labels.l6: too many keys and items after expanding aliases and merge keys (more than 200000)"
		if len(budget) != 1 || budget[0] != want {
			t.Errorf("work budget errors %q, want only %q; all errors:\n%v", budget, want, errs)
		}
	})
	t.Run("self merge", func(t *testing.T) {
		errs := parse(t, "version: 1\nproduct: p\nregistry: ghcr.io/a/p\ncomponents: &c {a: {repo: o/a}, <<: *c}\nchannels: {dev: {track: {branch: main}}}\n")
		want := "ladder.yaml:4:33: components.<<: a merge key cannot merge a mapping into itself"
		if errs.Error() != want {
			t.Errorf("got %q, want %q", errs.Error(), want)
		}
	})
	t.Run("deep nesting", func(t *testing.T) {
		errs := parse(t, head+"x: "+strings.Repeat("[", 20000)+strings.Repeat("]", 20000)+"\n")
		want := "ladder.yaml:6:1: (root): invalid YAML: exceeded max depth of 10000"
		if errs.Error() != want {
			t.Errorf("got %q, want %q", errs.Error(), want)
		}
	})
}
