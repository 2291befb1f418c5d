package ledger

import (
	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/ledger/record"
)

// The document is package record (pure: no I/O, in the arch test's domain
// list); these names keep callers of the stores reading ledger.Document.
type (
	Document    = record.Document
	Bundle      = record.Bundle
	Entry       = record.Entry
	Hold        = record.Hold
	Quarantine  = record.Quarantine
	Deletion    = record.Deletion
	Retirement  = record.Retirement
	RetireEvent = record.RetireEvent
	SchemaError = record.SchemaError
)

// Schema is the version of the document this code reads and writes.
const Schema = record.Schema

// Bundle modes and stream kinds.
const (
	ModeArtifact = record.ModeArtifact
	ModeImage    = record.ModeImage
	KindChannel  = record.KindChannel
	KindLabel    = record.KindLabel
)

// Sentinels callers branch on (with errors.Is).
var (
	ErrNoChange     = record.ErrNoChange
	ErrVersionTaken = record.ErrVersionTaken
	ErrNotFound     = record.ErrNotFound
)

// Functions of the document.
var (
	ChannelStream = record.ChannelStream
	LabelStream   = record.LabelStream
	ParseStream   = record.ParseStream
	NewDocument   = record.NewDocument
	Parse         = record.Parse
)

// SourceStream is the stream key of a label's from (a channel or a label of
// the config), whose entries are the label's candidates: the source its
// upgrade graph skips from (Document.GraphFrom).
func SourceStream(cfg *config.Config, from string) string {
	if _, ok := cfg.Channel(from); ok {
		return ChannelStream(from)
	}
	return LabelStream(from)
}
