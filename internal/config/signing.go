package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Default public-good Sigstore instance.
const (
	DefaultFulcioURL = "https://fulcio.sigstore.dev"
	DefaultRekorURL  = "https://rekor.sigstore.dev"
)

var (
	signingKeys    = []string{"keyless", "key"}
	keylessKeys    = []string{"fulcio-url", "rekor-url", "trusted-root"}
	keyKeys        = []string{"private-key", "public-key"}
	signedGateKeys = []string{"issuer", "identity", "key"}
	envNameRe      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Signing is `signing:`: how a label with `sign: true` signs (S6). Exactly
// one of Keyless and Key is set.
type Signing struct {
	Keyless *KeylessSigning
	Key     *KeySigning
	Pos     Pos
}

// KeylessSigning is Sigstore keyless signing: the workflow's OIDC token
// exchanged at Fulcio, the signature logged in Rekor. URLs default to the
// public-good instance.
type KeylessSigning struct {
	FulcioURL   string
	RekorURL    string
	TrustedRoot string // a trusted_root.json path (workspace-relative); "" is Sigstore's public-good root
}

// KeySigning signs with a key pair (GHES, air-gapped): an ECDSA P-256 PEM
// private key read from an environment variable, never from the file.
type KeySigning struct {
	PrivateKeyEnv string // the variable's name (private-key: env:NAME)
	PublicKey     string // optional: a PEM public key path; the signature is checked with it before it is attached
}

// SignedGate is `gates.signed`: the candidate must carry a signature
// verifying with Issuer and an identity matching Identity (keyless), or with
// the public key at Key.
type SignedGate struct {
	Issuer   string
	Identity string // a regular expression (Go syntax), matched against the certificate's identity
	Key      string // a PEM public key path (workspace-relative)
	Pos      Pos
}

func (p *parser) signingSection(e *entry) *Signing {
	s := &Signing{Pos: p.at(e.key)}
	fields, ok := p.mapping(e.val, e.path, signingKeys)
	if !ok {
		return s
	}
	kl, k := find(fields, "keyless"), find(fields, "key")
	switch {
	case kl != nil && k != nil:
		p.errorf(k.key, k.path, "signing takes keyless or key, not both")
	case kl == nil && k == nil:
		p.errorf(e.val, e.path, "signing needs keyless: {} (Sigstore, with the workflow's OIDC token) or key: {private-key: env:NAME}")
	}
	if kl != nil {
		s.Keyless = &KeylessSigning{FulcioURL: DefaultFulcioURL, RekorURL: DefaultRekorURL}
		if f := deref(kl.val); f.Kind == 0 || f.ShortTag() == "!!null" {
			return s // keyless: (empty) means the defaults
		}
		kf, ok := p.mapping(kl.val, kl.path, keylessKeys)
		if !ok {
			return s
		}
		for _, u := range []struct {
			key string
			dst *string
		}{{"fulcio-url", &s.Keyless.FulcioURL}, {"rekor-url", &s.Keyless.RekorURL}} {
			if f := find(kf, u.key); f != nil {
				if v, ok := p.str(f.val, f.path); ok {
					*u.dst = strings.TrimSuffix(v, "/")
					if why := serviceURLProblem(v); why != "" {
						p.errorf(f.val, f.path, "%q %s", v, why)
					}
				}
			}
		}
		if f, v, ok := p.strField(kf, "trusted-root"); ok {
			s.Keyless.TrustedRoot = v
			if strings.TrimSpace(v) == "" {
				p.errorf(f.val, f.path, "empty path")
			}
		}
	}
	if k != nil {
		s.Key = &KeySigning{}
		kf, ok := p.mapping(k.val, k.path, keyKeys)
		if !ok {
			return s
		}
		p.require(k.val, k.path, kf, "private-key")
		if f, v, ok := p.strField(kf, "private-key"); ok {
			name, isEnv := strings.CutPrefix(v, "env:")
			switch {
			case !isEnv:
				p.errorf(f.val, f.path, "the private key is read from an environment variable, never from the file: write env:NAME (e.g. env:LADDER_SIGNING_KEY, set from a secret)")
			case !envNameRe.MatchString(name):
				p.errorf(f.val, f.path, "%q is not an environment variable name", name)
			default:
				s.Key.PrivateKeyEnv = name
			}
		}
		if f, v, ok := p.strField(kf, "public-key"); ok {
			s.Key.PublicKey = v
			if strings.TrimSpace(v) == "" {
				p.errorf(f.val, f.path, "empty path")
			}
		}
	}
	return s
}

// serviceURLProblem says why u cannot be a Fulcio or Rekor URL: https, or
// http to a loopback address (a local instance).
func serviceURLProblem(u string) string {
	pu, err := url.Parse(u)
	if err != nil || pu.Host == "" {
		return "is not an absolute URL"
	}
	switch {
	case pu.Scheme == "https":
	case pu.Scheme == "http" && isLoopbackHost(pu.Hostname()):
	default:
		return "must be https (http only for a loopback address)"
	}
	if pu.RawQuery != "" || pu.Fragment != "" || pu.User != nil {
		return "must be a base URL: no credentials, query or fragment"
	}
	return ""
}

func isLoopbackHost(h string) bool {
	return h == "localhost" || h == "::1" || strings.HasPrefix(h, "127.")
}

func (p *parser) signedGate(e *entry) *SignedGate {
	g := &SignedGate{Pos: p.at(e.key)}
	fields, ok := p.mapping(e.val, e.path, signedGateKeys)
	if !ok {
		return g
	}
	iss, id, key := find(fields, "issuer"), find(fields, "identity"), find(fields, "key")
	switch {
	case key != nil && (iss != nil || id != nil):
		p.errorf(key.key, key.path, "a signed gate takes issuer and identity (keyless) or key, not both")
	case key == nil && iss == nil && id == nil:
		p.errorf(e.val, e.path, "a signed gate needs issuer and identity (keyless signatures) or key: PATH (a public key)")
	case key == nil && (iss == nil) != (id == nil):
		missing, at := "identity", iss
		if iss == nil {
			missing, at = "issuer", id
		}
		p.errorf(at.key, e.path, "a keyless signed gate needs both issuer and identity: %s is missing", missing)
	}
	if iss != nil {
		if v, ok := p.str(iss.val, iss.path); ok {
			g.Issuer = v
			if pu, err := url.Parse(v); err != nil || pu.Scheme != "https" || pu.Host == "" {
				p.errorf(iss.val, iss.path, "issuer %q is not an https URL (GitHub Actions: https://token.actions.githubusercontent.com)", v)
			}
		}
	}
	if id != nil {
		if v, ok := p.str(id.val, id.path); ok {
			g.Identity = v
			if _, err := regexp.Compile(v); err != nil {
				p.errorf(id.val, id.path, "identity %q is not a valid regular expression: %v", v, err)
			} else if !strings.HasPrefix(v, "^") || !strings.HasSuffix(v, "$") {
				p.errorf(id.val, id.path, "identity %q must be anchored (^...$): unanchored, it matches any identity that contains it, e.g. another repository's workflow", v)
			}
		}
	}
	if key != nil {
		if v, ok := p.str(key.val, key.path); ok {
			g.Key = v
			if strings.TrimSpace(v) == "" {
				p.errorf(key.val, key.path, "empty path")
			}
		}
	}
	return g
}

// lintSigning warns about signing that can only disappoint: `sign: true`
// without `signing:` (promote-label fails on such a label), and a signed
// gate that nothing ladder signs can satisfy: no label upstream in its
// `from` chain signs, or the one that does signs in the other mode (a key
// for an issuer and identity gate, keyless for a key gate).
func (c *Config) lintSigning() (warnings Errors) {
	for _, l := range c.Labels {
		if l.Sign && c.Signing == nil {
			warnings = append(warnings, c.lintError("labels."+l.Name+".sign",
				"sign: true without a signing: section: promote-label fails on this label until one says how to sign (signing: {keyless: {}} or signing: {key: {private-key: env:NAME}})"))
		}
		g := l.Gates.Signed
		if g == nil {
			continue
		}
		field := "labels." + l.Name + ".gates.signed"
		signer := ""
		seen := map[string]bool{}
		for from := l.From; from != "" && !seen[from]; {
			seen[from] = true
			up, ok := c.Label(from)
			if !ok {
				break
			}
			if up.Sign {
				signer = up.Name
				break
			}
			from = up.From
		}
		switch {
		case signer == "":
			warnings = append(warnings, c.lintError(field, fmt.Sprintf(
				"no label in %s's from chain has sign: true: this gate stays pending unless something outside ladder signs the candidate", l.Name)))
		case c.Signing == nil:
		case g.Key != "" && c.Signing.Keyless != nil:
			warnings = append(warnings, c.lintError(field, fmt.Sprintf(
				"label %s signs keyless (signing.keyless), but this gate wants a key signature: it never passes on ladder's signature", signer)))
		case g.Key == "" && c.Signing.Key != nil:
			warnings = append(warnings, c.lintError(field, fmt.Sprintf(
				"label %s signs with a key (signing.key), but this gate wants a keyless certificate from %s: it never passes on ladder's signature", signer, g.Issuer)))
		}
	}
	return warnings
}
