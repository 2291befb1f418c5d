package config_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/ladder-release/ladder/internal/config"
)

const schemaURL = "https://github.com/ladder-release/ladder/ladder.schema.json"

// compileSchema compiles Schema(), or the sub-schema at fragment (a JSON pointer).
func compileSchema(t testing.TB, fragment string) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(config.Schema()))
	if err != nil {
		t.Fatalf("Schema() is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaURL, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(schemaURL + "#" + fragment)
	if err != nil {
		t.Fatalf("compiling the schema%s: %v", fragment, err)
	}
	return s
}

// yamlToJSON converts a YAML file to the values a JSON decoder would produce.
func yamlToJSON(t *testing.T, data []byte) any {
	t.Helper()
	v, err := yamlValue(data)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// yamlValue converts YAML to JSON values the way an editor sees the file: keys
// as written (the key 010 is the string "010", not the integer 8), aliases and
// merge keys resolved.
func yamlValue(data []byte) (any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	v, err := nodeValue(doc.Content[0], 0)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}

func nodeValue(n *yaml.Node, depth int) (any, error) {
	if depth > 100 {
		return nil, fmt.Errorf("too deep")
	}
	switch n.Kind {
	case yaml.AliasNode:
		return nodeValue(n.Alias, depth+1)
	case yaml.SequenceNode:
		out := []any{}
		for _, c := range n.Content {
			v, err := nodeValue(c, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		explicit := map[string]any{}
		merged := map[string]any{} // the first merged mapping that has a key wins
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.AliasNode {
				k = k.Alias
			}
			val, err := nodeValue(v, depth+1)
			if err != nil {
				return nil, err
			}
			if k.ShortTag() != "!!merge" {
				explicit[k.Value] = val
				continue
			}
			sources, ok := val.([]any)
			if !ok {
				sources = []any{val}
			}
			for _, src := range sources {
				if m, ok := src.(map[string]any); ok {
					for mk, mv := range m {
						if _, seen := merged[mk]; !seen {
							merged[mk] = mv
						}
					}
				}
			}
		}
		for k, v := range explicit {
			merged[k] = v
		}
		return merged, nil
	}
	if n.ShortTag() == "!!timestamp" {
		return n.Value, nil // JSON has no timestamps
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func files(t *testing.T, dir string, min int) []string {
	t.Helper()
	fs, err := filepath.Glob(filepath.Join(testdata, dir, "*.yaml"))
	if err != nil || len(fs) < min {
		t.Fatalf("want at least %d files in %s, got %d (%v)", min, dir, len(fs), err)
	}
	return fs
}

func TestSchemaDescribesTheFormat(t *testing.T) {
	t.Parallel()
	var s map[string]any
	if err := json.Unmarshal(config.Schema(), &s); err != nil {
		t.Fatal(err)
	}
	if s["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v", s["$schema"])
	}
	if s["additionalProperties"] != false {
		t.Errorf("top level allows unknown keys")
	}
	props := s["properties"].(map[string]any)
	for _, k := range []string{"version", "product", "registry", "ledger", "components", "channels", "constraints", "labels", "cascade", "export"} {
		p, ok := props[k].(map[string]any)
		if !ok {
			t.Errorf("no property %q", k)
			continue
		}
		if _, ok := p["description"]; !ok && p["$ref"] == nil {
			t.Errorf("property %q has no description", k)
		}
	}
	// Every object in the schema is closed, and every $def is described.
	for name, d := range s["$defs"].(map[string]any) {
		d := d.(map[string]any)
		if d["description"] == nil {
			t.Errorf("$defs/%s has no description", name)
		}
		if d["type"] == "object" && d["additionalProperties"] != false {
			t.Errorf("$defs/%s allows unknown keys", name)
		}
	}
	// Schema returns a copy.
	b := config.Schema()
	b[0] = 'x'
	if config.Schema()[0] != '{' {
		t.Error("Schema() returns shared memory")
	}
}

// TestSchemaUsesTheParsersPatterns: schema.json repeats the parser's regular
// expressions; they must not drift apart.
func TestSchemaUsesTheParsersPatterns(t *testing.T) {
	t.Parallel()
	var s any
	if err := json.Unmarshal(config.Schema(), &s); err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if p, ok := x.(string); ok && k == "pattern" {
					found[p] = true
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(s)
	for name, p := range config.Patterns {
		if !found[p] {
			t.Errorf("schema.json does not use %s %q", name, p)
		}
	}
}

// schemaEach runs check on each config file of testdata/config/dir (at least
// min of them), in a parallel subtest, with the file's name, its bytes and
// what the schema says of it.
func schemaEach(t *testing.T, dir string, min int, check func(t *testing.T, f string, data []byte, schemaErr error)) {
	t.Helper()
	sch := compileSchema(t, "")
	for _, f := range files(t, dir, min) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			check(t, f, data, sch.Validate(yamlToJSON(t, data)))
		})
	}
}

// parseRejects asserts that Parse rejects the config with errors that keep
// checkErrors' promises.
func parseRejects(t *testing.T, f string, data []byte) {
	t.Helper()
	_, err := config.Parse(f, data)
	if err == nil {
		t.Fatal("Parse accepts the config")
	}
	checkErrors(t, err.(config.Errors))
}

func TestSchemaAcceptsValidConfigs(t *testing.T) {
	t.Parallel()
	schemaEach(t, "valid", 5, func(t *testing.T, _ string, _ []byte, schemaErr error) {
		if schemaErr != nil {
			t.Errorf("schema rejects a valid config: %v", schemaErr)
		}
	})
}

func TestSchemaRejectsInvalidConfigs(t *testing.T) {
	t.Parallel()
	schemaEach(t, "invalid", 12, func(t *testing.T, f string, data []byte, schemaErr error) {
		if schemaErr == nil {
			t.Error("schema accepts the config")
		}
		parseRejects(t, f, data)
	})
}

// TestSemanticErrors: the files in invalid-semantic are structurally fine, so
// the schema ACCEPTS them (it cannot see dangling references, cycles or semver
// syntax); only Parse rejects them.
func TestSemanticErrors(t *testing.T) {
	t.Parallel()
	schemaEach(t, "invalid-semantic", 10, func(t *testing.T, f string, data []byte, schemaErr error) {
		if schemaErr != nil {
			t.Errorf("schema rejects the config, so it belongs in testdata/config/invalid: %v", schemaErr)
		}
		parseRejects(t, f, data)
	})
}

// TestSchemaAgreesWithParser: for single values, the schema must accept
// whatever the parser accepts (it may accept more: the parser checks more).
// Where the schema can express the whole rule, they must agree exactly.
func TestSchemaAgreesWithParser(t *testing.T) {
	t.Parallel()
	values := []string{
		"", "dev", "Dev", "main", "_x", ".x", "-x", "x-", "a.b", "a..b", "a/b", "a//b", "/a", "a/", "a.lock", "a.lock/b",
		"a b", "a~b", "a^b", "a:b", "a?b", "a*b", "a[b", `a\b`, "a@{b", "@", "HEAD", "head", "a.", "feature/x-1",
		"1", "1.2", "1.2.3", "v1", "v1.2.3-rc.1", "1.2.3+b", "01", "1.0.0.0", "v", "release-1.x", "x.1",
		"sha-1", "sha", "dev-previous", "previous", "b366a24", "b366a24-c116a45", "id-0123456789ab", "B366A24", "b366a2",
		strings.Repeat("a", 119), strings.Repeat("a", 120), strings.Repeat("a", 128), strings.Repeat("a", 129),
		"acme/app", "acme/.github", "acme/.", "acme/..", "-acme/app", "acme/app/x", "a_b/c", "acme/app.git",
		">=1.0.0", "~1.2", ">=x.1", "*", "abc", " ", "^1 || ^2", "1.2 - 1.4",
		"ghcr.io/acme/app", "localhost:5000/a", "localhost/a", "acme/app", "ghcr.io/Acme/app", "ghcr.io/a/b:v1", "ghcr.io/a/b@sha256:00",
		"[::1]:5000/a/b", "ghcr.io/a__b/c", "ghcr.io/a___b", "ghcr.io/a-/b", "reg.example.com:80/x/y.z",
		"github", "none", "file:x", "file:", "file: ", "file:a\nb", "s3",
		"0", "0s", "2h", "2d", "1d12h", "1.5h", ".5h", "1.h", "1d1.5h", "1.5d", "-1h", "+1h", "2 h", "h", "d", "1d2d", "100001d", "99999999999h",
		"https://x.y/a.git", "http://x/a", "ssh://git@x:22/a", "git://x/a", "file:///a", "file://x", "ftp://x/a", "HTTPS://x/a", "git@x:a/b",
		"git@x:", "x:a", "https://x", "https://x/a?b", "https://x/a b", "https://x/a#b", "user@host:/abs/path",
		"dev", "dev-1", "0", "00", "0a", "a.b", "a_b",
		"hive-operator", "Hive", "a-", "stable-4.14", "a--b", strings.Repeat("a", 63), strings.Repeat("a", 64),
	}
	check := func(t *testing.T, fragment string, parser func(string) string, exact bool) {
		sch := compileSchema(t, fragment)
		for _, v := range values {
			parserOK := parser(v) == ""
			schemaErr := sch.Validate(v)
			if parserOK && schemaErr != nil {
				t.Errorf("%q: the parser accepts it, the schema does not: %v", v, schemaErr)
			}
			if exact && !parserOK && schemaErr == nil {
				t.Errorf("%q: the parser rejects it (%s), the schema accepts it", v, parser(v))
			}
		}
	}
	exact := map[string]bool{"channelName": true, "labelName": true, "gitRef": true, "componentName": true, "olmPackage": true, "olmChannel": true,
		"/properties/product": true, "/properties/registry": false, "/$defs/versionRule/properties/prerelease": true}
	for name, f := range config.Validators {
		t.Run(name, func(t *testing.T) { check(t, "/$defs/"+name, f, exact[name]) })
	}
	for loc, f := range config.Properties {
		t.Run(loc, func(t *testing.T) { check(t, loc, f, exact[loc]) })
	}
}
