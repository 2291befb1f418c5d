package config

// Patterns exposes the parser's regular expressions to schema_test.go, which
// checks that schema.json uses the very same ones.
var Patterns = map[string]string{
	"productPattern":     productPattern,
	"componentPattern":   componentPattern,
	"ociTagPattern":      ociTagPattern,
	"labelPattern":       labelPattern,
	"semverLikePattern":  semverLikePattern,
	"compositeIDPattern": compositeIDPattern,
	"prereleasePattern":  prereleasePattern,
	"githubRepoPattern":  githubRepoPattern,
	"refBadPattern":      refBadPattern,
	"durationPattern":    durationPattern,
	"registryPattern":    registryPattern,
	"ledgerPattern":      ledgerPattern,
	"gitURLPattern":      gitURLPattern,
	"olmPackagePattern":  olmPackagePattern,
	"olmChannelPattern":  olmChannelPattern,
}

// Validators exposes the parser's checks of single values, by schema $defs name:
// each returns "" when the parser accepts the value.
var Validators = map[string]func(string) string{
	"channelName": func(s string) string { return tagNameProblem(s, "channel") },
	"labelName":   func(s string) string { return tagNameProblem(s, "label") },
	"gitRef":      refProblem,
	"componentName": func(s string) string {
		if componentRe.MatchString(s) {
			return ""
		}
		return "bad"
	},
	"githubRepo":       repoProblem,
	"olmPackage":       olmPackageProblem,
	"olmChannel":       olmChannelProblem,
	"semverConstraint": constraintProblem,
}

// Properties maps a top-level or nested schema location to a parser check of a
// whole string value.
var Properties = map[string]func(string) string{
	"/properties/registry": registryProblem,
	"/properties/ledger": func(s string) string {
		_, _, why := parseLedger(s)
		return why
	},
	"/properties/product": func(s string) string {
		if productRe.MatchString(s) {
			return ""
		}
		return "bad"
	},
	"/$defs/gates/properties/soak": func(s string) string {
		_, why := parseDuration(s)
		return why
	},
	"/$defs/component/properties/git": gitURLProblem,
	"/$defs/versionRule/properties/prerelease": func(s string) string {
		if prereleaseRe.MatchString(s) {
			return ""
		}
		return "bad"
	},
}
