package config

import (
	"fmt"
	"strings"
)

// exportSection parses `export:`. Its one member today is `olm`.
func (p *parser) exportSection(e *entry) *Export {
	x := &Export{Pos: p.at(e.key)}
	fields, ok := p.mapping(e.val, e.path, exportKeys)
	if !ok {
		return x
	}
	if f := find(fields, "olm"); f != nil {
		x.OLM = p.olmExport(f)
	}
	return x
}

// olmExport parses `export.olm`: package, channels (OLM channel -> ladder
// label or channel) and default-channel, all required. The default channel
// must be one of the channels (OLM refuses a package whose default channel
// it does not hold). A channel naming neither a label nor a channel parses:
// Lint warns about it.
func (p *parser) olmExport(e *entry) *OLMExport {
	o := &OLMExport{Pos: p.at(e.key)}
	fields, ok := p.mapping(e.val, e.path, olmKeys)
	if !ok {
		return o
	}
	p.require(e.val, e.path, fields, olmKeys...)
	if f, s, ok := p.strField(fields, "package"); ok {
		o.Package = s
		if why := olmPackageProblem(s); why != "" {
			p.errorf(f.val, f.path, "%s", why)
		}
	}
	channelsOK := false
	if f := find(fields, "channels"); f != nil {
		entries, ok := p.mapping(f.val, f.path, nil)
		if ok {
			channelsOK = true
			if len(entries) == 0 {
				p.errorf(f.val, f.path, "at least one OLM channel is required (OLM channel: ladder label or channel)")
			}
			for _, ce := range entries {
				ch := OLMChannel{Name: ce.name, Pos: p.at(ce.key)}
				if why := olmChannelProblem(ce.name); why != "" {
					p.errorf(ce.key, ce.path, "%s", why)
				}
				if s, ok := p.str(ce.val, ce.path); ok {
					ch.Follows = s
				}
				o.Channels = append(o.Channels, ch)
			}
		}
	}
	if f, s, ok := p.strField(fields, "default-channel"); ok {
		o.DefaultChannel = s
		if _, in := o.OLMChannel(s); channelsOK && !in && len(o.Channels) > 0 {
			names := make([]string, len(o.Channels))
			for i, ch := range o.Channels {
				names[i] = ch.Name
			}
			p.errorf(f.val, f.path, "%q is not one of export.olm.channels (%s)%s", s, strings.Join(names, ", "), suggest(s, names))
		}
	}
	return o
}

// olmPackageProblem says why s cannot be an OLM package name, or "".
func olmPackageProblem(s string) string {
	if olmPackageRe.MatchString(s) {
		return ""
	}
	return fmt.Sprintf("invalid OLM package name %q: OLM needs a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)", short(s))
}

// olmChannelProblem says why s cannot be an OLM channel name, or "".
func olmChannelProblem(s string) string {
	if olmChannelRe.MatchString(s) {
		return ""
	}
	return fmt.Sprintf("invalid OLM channel name %q: must match %s", short(s), olmChannelPattern)
}
