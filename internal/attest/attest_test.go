package attest

import (
	"encoding/json"
	"strings"
	"testing"
)

const d1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"

func TestStatement(t *testing.T) {
	t.Parallel()
	p := Promotion{Label: "current", From: "label testing", Version: "1.2.3", LockDigest: "sha256:ab", Actor: "octocat"}
	data, err := Statement(Subject{Name: "ghcr.io/acme/app", Digest: d1}, p)
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Type    string `json:"_type"`
		Subject []struct {
			Name   string
			Digest map[string]string
		}
		PredicateType string
		Predicate     map[string]any
	}
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type != StatementType || st.PredicateType != PredicateType || len(st.Subject) != 1 ||
		st.Subject[0].Name != "ghcr.io/acme/app" || st.Subject[0].Digest["sha256"] != strings.TrimPrefix(d1, "sha256:") ||
		st.Predicate["label"] != "current" || st.Predicate["gates"] == nil {
		t.Errorf("statement %s", data)
	}
	back, err := ReadStatement(data, d1)
	if err != nil || back.Version != "1.2.3" || back.Actor != "octocat" {
		t.Errorf("ReadStatement: %+v, %v", back, err)
	}
	for _, tc := range []struct {
		name, data, digest, want string
	}{
		{"another subject", string(data), "sha256:" + strings.Repeat("2", 64), "subject is not"},
		{"another predicate type", strings.Replace(string(data), PredicateType, "https://slsa.dev/provenance/v1", 1), d1, "not ladder's promotion record"},
		{"not a statement", `{"_type":"x"}`, d1, "_type"},
		{"not JSON", `{`, d1, "not JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := ReadStatement([]byte(tc.data), tc.digest); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name string
		s    Subject
		p    Promotion
		want string
	}{
		{"a digest that is not sha256", Subject{Name: "r", Digest: "sha512:ab"}, p, "sha256"},
		{"no subject name", Subject{Digest: d1}, p, "no name"},
		{"no label", Subject{Name: "r", Digest: d1}, Promotion{}, "no label"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Statement(tc.s, tc.p); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestPolicyCheck(t *testing.T) {
	t.Parallel()
	const pub = "-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n"
	for _, tc := range []struct {
		name string
		p    Policy
		want string // "" = valid
	}{
		{"issuer and identity", Policy{Issuer: "https://i", Identity: "^x$"}, ""},
		{"a key", Policy{PublicKeyPEM: pub}, ""},
		{"both", Policy{Issuer: "https://i", Identity: "^x$", PublicKeyPEM: pub}, "not both"},
		{"issuer alone", Policy{Issuer: "https://i"}, "both issuer and identity"},
		{"an invalid regular expression", Policy{Issuer: "https://i", Identity: "^(x$"}, "not a valid regular expression"},
		{"a key that is not PEM", Policy{PublicKeyPEM: "ssh-ed25519 AAAA"}, "not a PEM public key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.p.Check()
			if (tc.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Check = %v, want %q", err, tc.want)
			}
		})
	}
}
