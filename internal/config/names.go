package config

import (
	"fmt"
	"github.com/ladder-release/ladder/internal/refname"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/name"
)

// The regular expressions below are also written, character for character, into
// schema.json; schema_test.go checks that the two never drift apart.
const (
	// productPattern: a product name (used in the ledger and annotations).
	productPattern = `^[a-z0-9][a-z0-9._-]*$`
	// componentPattern: a component name.
	componentPattern = `^[a-z0-9][a-z0-9_-]*$`
	// ociTagPattern: an OCI tag (distribution-spec), used for channel names.
	ociTagPattern = `^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`
	// labelPattern: an OCI tag short enough that "<label>-previous" is one too.
	labelPattern = `^[A-Za-z0-9_][A-Za-z0-9._-]{0,118}$`
	// semverLikePattern: a name Masterminds/semver's NewVersion would parse as a
	// version (copied from semver's semVerRegex), so it would clash with version tags.
	semverLikePattern = `^v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?` +
		`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?` +
		`(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`
	// compositeIDPattern: the tags build-bundle writes for a composite id.
	compositeIDPattern = `^(?:[0-9a-f]{7}(?:-[0-9a-f]{7})*|id-[0-9a-f]{12})$`
	// prereleasePattern: one semver prerelease identifier.
	prereleasePattern = `^(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)$`
	// githubRepoPattern: owner/name as GitHub allows them.
	githubRepoPattern = `^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$`
	// refBadPattern matches what git check-ref-format refuses in a branch or tag name
	// (plus a leading "-", which git refuses for branches and which reads as an option).
	refBadPattern = `^$|^[-/.]|/\.|\.lock(?:/|$)|\.\.|@\{|//|/$|\.$|[\x00-\x20\x7f~^:?*\[\\]`
	// durationPattern: a Go duration, optionally starting with a number of days.
	durationPattern = `^(?:0|[0-9]+d|(?:[0-9]+d)?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+)$`
	// registryPattern: host[:port]/path, where the host has a "." or a port (as
	// go-containerregistry tells a registry host from a Docker Hub namespace), and
	// path components are lowercase as the OCI distribution-spec defines them.
	// No tag, no digest.
	registryPattern = `^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+(?::[0-9]+)?|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?:[0-9]+|\[[0-9A-Fa-f:.]+\](?::[0-9]+)?)/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$`
	// ledgerPattern: github | none | file:PATH.
	ledgerPattern = `^(?:github|none|file:[^\x00-\x1f\x7f]+)$`
	// olmPackagePattern: an OLM package name, a DNS-1123 label (operator-registry
	// refuses any other); at most 63 characters.
	olmPackagePattern = `^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$`
	// olmChannelPattern: an OLM channel name as ladder writes one.
	olmChannelPattern = `^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`
	// gitURLPattern: the URL forms accepted for `git:` (the parser checks more).
	gitURLPattern = `^(?:(?:https?|ssh|git|file)://\S+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:\S+)$`
)

var (
	productRe     = regexp.MustCompile(productPattern)
	componentRe   = regexp.MustCompile(componentPattern)
	ociTagRe      = regexp.MustCompile(ociTagPattern)
	labelRe       = regexp.MustCompile(labelPattern)
	semverLikeRe  = regexp.MustCompile(semverLikePattern)
	compositeIDRe = regexp.MustCompile(compositeIDPattern)
	prereleaseRe  = regexp.MustCompile(prereleasePattern)
	githubRepoRe  = regexp.MustCompile(githubRepoPattern)
	refBadRe      = regexp.MustCompile(refBadPattern)
	durationRe    = regexp.MustCompile(durationPattern)
	registryRe    = regexp.MustCompile(registryPattern)
	gitURLRe      = regexp.MustCompile(gitURLPattern)
	ledgerRe      = regexp.MustCompile(ledgerPattern)
	olmPackageRe  = regexp.MustCompile(olmPackagePattern)
	olmChannelRe  = regexp.MustCompile(olmChannelPattern)
	hexSHARe      = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// tagNameProblem says why name cannot be a channel or label tag, or "" if it can.
// what is "channel" or "label".
func tagNameProblem(name, what string) string {
	re, pattern := ociTagRe, ociTagPattern
	if what == "label" {
		re, pattern = labelRe, labelPattern
	}
	switch {
	case !re.MatchString(name):
		if what == "label" && ociTagRe.MatchString(name) {
			return fmt.Sprintf("invalid label name %q: %q would be longer than 128 characters, the limit of an OCI tag", short(name), short(name+"-previous"))
		}
		return fmt.Sprintf("invalid %s name %q: not a valid OCI tag (must match %s)", what, short(name), pattern)
	case semverLikeRe.MatchString(name):
		return fmt.Sprintf("invalid %s name %q: it parses as a semver version and would clash with version tags", what, short(name))
	case strings.HasSuffix(name, "-previous"):
		return fmt.Sprintf("invalid %s name %q: names ending in \"-previous\" are reserved for labels' previous values", what, short(name))
	case strings.HasPrefix(name, "sha-"):
		return fmt.Sprintf("invalid %s name %q: names starting with \"sha-\" are reserved for commit tags", what, short(name))
	case compositeIDRe.MatchString(name):
		return fmt.Sprintf("invalid %s name %q: it looks like a composite id and would clash with composite id tags", what, short(name))
	}
	return ""
}

// refProblem says why s is not a valid git branch or tag name, or "" if it is.
func refProblem(s string) string { return refname.Problem(s) }

// versionInConstraintRe matches the versions of a semver constraint, with their
// prerelease and build parts so that those are not read as versions.
var versionInConstraintRe = regexp.MustCompile(`v?([0-9]+|[xX*])(?:\.([0-9]+|[xX*]))?(?:\.([0-9]+|[xX*]))?(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?`)

// constraintProblem says why s is not a semver constraint, or "" if it is one.
// Masterminds/semver accepts a number after a wildcard (">=x.1", "1.x.3") and
// silently ignores it; ladder refuses that.
func constraintProblem(s string) string {
	if strings.TrimSpace(s) == "" {
		return "empty"
	}
	if _, err := semver.NewConstraint(s); err != nil {
		return err.Error()
	}
	for _, m := range versionInConstraintRe.FindAllStringSubmatch(s, -1) {
		wild := false
		for _, part := range m[1:4] {
			switch {
			case part == "":
			case part == "x" || part == "X" || part == "*":
				wild = true
			case wild:
				return fmt.Sprintf("%q has a number after a wildcard", short(m[0]))
			}
		}
	}
	return ""
}

// repoProblem says why s is not a GitHub owner/name, or "" if it is one.
func repoProblem(s string) string {
	_, name, _ := strings.Cut(s, "/")
	if !githubRepoRe.MatchString(s) || name == "." || name == ".." {
		return `expected owner/name (letters, digits, "-" in the owner; letters, digits, ".", "_", "-" in the name)`
	}
	return ""
}

// parseLedger parses a `ledger:` value; why is "" when it is valid.
func parseLedger(s string) (kind LedgerKind, path, why string) {
	switch {
	case s == "github":
		return LedgerGitHub, "", ""
	case s == "none":
		return LedgerNone, "", ""
	case strings.HasPrefix(s, "file:"):
		path = strings.TrimPrefix(s, "file:")
		if strings.TrimSpace(path) == "" {
			return LedgerFile, path, "file:PATH needs a path"
		}
		if !ledgerRe.MatchString(s) {
			return LedgerFile, path, "the path contains a control character"
		}
		return LedgerFile, path, ""
	}
	return LedgerGitHub, "", "expected github, none or file:PATH" + suggest(s, []string{"github", "none"})
}

// registryProblem says why s is not an OCI repository with an explicit registry
// host and without tag or digest, or "" if it is one.
func registryProblem(s string) string {
	switch {
	case strings.Contains(s, "@"):
		return "must not contain a digest"
	case !strings.Contains(s, "/"):
		return "must be a full repository such as ghcr.io/acme/product"
	}
	host, repo, _ := strings.Cut(s, "/")
	last := repo[strings.LastIndex(repo, "/")+1:]
	switch {
	case strings.Contains(last, ":"):
		return "must not contain a tag"
	case !strings.ContainsAny(host, ".:") && host != "localhost":
		return fmt.Sprintf("%q is not a registry host; write the repository in full, e.g. ghcr.io/%s or docker.io/%s", short(host), short(s), short(s))
	case host == "localhost":
		return "write localhost with its port, e.g. localhost:5000/" + repo
	case !registryRe.MatchString(s):
		return "not a valid OCI repository (a registry host, then lowercase path components of letters, digits and separators . _ __ -)"
	}
	// The pattern is stricter than go-containerregistry, which adds the length
	// limits and Docker Hub's rules.
	if _, err := name.NewRepository(s, name.StrictValidation); err != nil {
		return short(err.Error())
	}
	return ""
}

// gitURLProblem says why s is not a git remote URL ladder accepts, or "" if it is one.
func gitURLProblem(s string) string {
	for _, r := range s {
		if r <= ' ' || r == 0x7f || !utf8.ValidRune(r) {
			return "contains a space or control character"
		}
	}
	scheme, _, hasScheme := strings.Cut(s, "://")
	if hasScheme {
		switch scheme {
		case "https", "http", "ssh", "git", "file":
		default:
			return fmt.Sprintf("unsupported scheme %q (use https, http, ssh, git or file, or user@host:path)", short(scheme))
		}
	}
	if !gitURLRe.MatchString(s) {
		return "not a git URL (use https://, http://, ssh://, git://, file:// or user@host:path)"
	}
	if !hasScheme {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return strings.TrimPrefix(err.Error(), "parse "+strconv.Quote(s)+": ")
	}
	if scheme != "file" && u.Host == "" {
		return "has no host"
	}
	if u.Path == "" || u.Path == "/" {
		return "has no repository path"
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "must not have a query or fragment"
	}
	return ""
}

// parseDuration parses a Go duration with an optional leading number of days ("2d", "1d12h").
func parseDuration(s string) (time.Duration, string) {
	if !durationRe.MatchString(s) {
		if strings.HasPrefix(s, "-") {
			return 0, "must not be negative"
		}
		return 0, `not a duration (use Go units ns, us, ms, s, m, h, and d for days, e.g. "90m", "24h" or "2d")`
	}
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n := 0
		for _, c := range s[:i] {
			n = n*10 + int(c-'0')
			if n > 100000 {
				return 0, "out of range"
			}
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return days, ""
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		if strings.Contains(err.Error(), "invalid duration") {
			return 0, "out of range"
		}
		return 0, err.Error()
	}
	if d > math.MaxInt64-days {
		return 0, "out of range"
	}
	return days + d, ""
}

// maxQuoted is how many characters of a value an error message quotes.
const maxQuoted = 200

// short truncates s for quoting in an error message.
func short(s string) string {
	if utf8.RuneCountInString(s) <= maxQuoted {
		return s
	}
	r := []rune(s)
	return string(r[:maxQuoted]) + "..."
}

// Suggest returns ` (did you mean "x"?)` when one of candidates is close to
// s (an edit distance of at most 2), else "": what every "unknown NAME"
// error of ladder's appends, the config's and the command line's.
func Suggest(s string, candidates []string) string { return suggest(s, candidates) }

// suggest returns ` (did you mean "x"?)` when one of candidates is close to s.
func suggest(s string, candidates []string) string {
	if best := suggestion(s, candidates); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

// suggestion returns the candidate closest to s, if it is within an edit distance of 2.
func suggestion(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD && d < len(s) && d < len(c) {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, capped for long inputs.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		if a == b {
			return 0
		}
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
