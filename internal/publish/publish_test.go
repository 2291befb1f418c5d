package publish

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/ladder-release/ladder/internal/channel"
	"github.com/ladder-release/ladder/internal/ledger/record"
	"github.com/ladder-release/ladder/internal/lock"
	"github.com/ladder-release/ladder/internal/testutil/fixture"
)

// sha is the hex of fixture.Digest: a commit's sha (the first 40), a
// digest's.
func sha(parts ...any) string { return strings.TrimPrefix(fixture.Digest(parts...), "sha256:") }

// lockAt is a lock of one component at commit n, resolved at fixture.T0 + at.
func lockAt(n int, at time.Duration) lock.Lock {
	return lock.Lock{Schema: lock.Schema, Product: "p", Channel: "dev", Created: fixture.T0.Add(at),
		Components: []lock.Entry{{Name: "op", Repo: "acme/op", Ref: "refs/tags/v1.0." + fmt.Sprint(n), Version: "v1.0." + fmt.Sprint(n), Commit: sha("commit", n)[:40]}}}
}

// ledger is a document built by publishing through Claim, as build-bundle does.
type ledger struct {
	t   *testing.T
	doc *record.Document
	n   int
}

func newLedger(t *testing.T) *ledger { return &ledger{t: t, doc: record.NewDocument("p")} }

// publish claims req on the ledger and fails the test unless it publishes.
func (l *ledger) publish(req Request) Decision {
	l.t.Helper()
	dec, err := Decide(l.doc, req)
	if err != nil || dec.Kind != Publish {
		l.t.Fatalf("setup: Decide = %+v, %v", dec, err)
	}
	l.n++
	got, err := Claim(l.doc, req, dec.Version, Bundle{Digest: "sha256:" + sha("manifest", l.n, req.Lock.Digest()), Now: fixture.T0.Add(time.Duration(l.n) * time.Minute)})
	if err != nil || got.Kind != Publish {
		l.t.Fatalf("setup: Claim = %+v, %v", got, err)
	}
	return got
}

var (
	prerelease = channel.VersionRule{Prerelease: "dev"}
	fromOp     = channel.VersionRule{From: "op"}
	bump       = channel.VersionRule{Bump: "patch"}
)

var claims int

// req is a publish of l into ch, with a claim token of its own (each run of
// build-bundle draws one).
func req(ch string, rule channel.VersionRule, l lock.Lock) Request {
	l.Channel = ch
	claims++
	return Request{Channel: ch, Rule: rule, Lock: l, Claim: fmt.Sprint("claim-", claims), Run: "https://github.com/acme/p/actions/runs/1"}
}

// forcedRun is a forced publish of lock 1 into dev by another workflow run
// (runs/2) than req's.
func forcedRun() Request {
	r := req("dev", bump, lockAt(1, 0))
	r.Force, r.Run = true, "https://github.com/acme/p/actions/runs/2"
	return r
}

// TestDecide: one named case per rule of SPEC section 2 (order, version) and
// section 7 (Order, Reruns) that the decision implements.
func TestDecide(t *testing.T) {
	type setup func(l *ledger)
	cases := []struct {
		name    string
		setup   setup
		req     Request
		kind    Kind
		version string
		reason  string // a part of the reason
		err     string // a part of the error
	}{
		{name: "0 a retired channel publishes nothing, naming when and why",
			setup: func(l *ledger) {
				l.publish(req("dev", bump, lockAt(1, 0)))
				retireStream(l, "channel:dev")
			},
			req: req("dev", bump, lockAt(2, time.Minute)), kind: Retired, version: "0.0.1",
			reason: "channel dev was retired at 2026-11-22T01:15:00Z by octocat: end of life; it stays at 0.0.1 (ladder retire --undo reopens it)"},
		{name: "0 a retired channel publishes nothing, forced or not",
			setup: func(l *ledger) {
				l.publish(req("dev", bump, lockAt(1, 0)))
				retireStream(l, "channel:dev")
			},
			req: func() Request { r := req("dev", bump, lockAt(2, time.Minute)); r.Force = true; return r }(), kind: Retired},
		{name: "0 another channel's retirement changes nothing",
			setup: func(l *ledger) {
				l.publish(req("stable", bump, lockAt(1, 0)))
				retireStream(l, "channel:stable")
			},
			req: req("dev", bump, lockAt(2, time.Minute)), kind: Publish, version: "0.0.2"},
		{name: "an empty ledger publishes the rule's version",
			req: req("dev", fromOp, lockAt(1, 0)), kind: Publish, version: "1.0.1"},
		{name: "2 unchanged: the head holds this lock: finish it",
			setup: func(l *ledger) { l.publish(req("dev", fromOp, lockAt(1, 0))) },
			req:   req("dev", fromOp, lockAt(1, 0)), kind: Finish, version: "1.0.1", reason: "already holds this lock"},
		{name: "2 rerun anywhere: a lock further back in the channel is finished, not published twice",
			setup: func(l *ledger) {
				l.publish(req("dev", bump, lockAt(1, 0)))
				l.publish(req("dev", bump, lockAt(2, time.Second)))
			},
			req: req("dev", bump, lockAt(1, 0)), kind: Finish, version: "0.0.1", reason: "already published as 0.0.1 in channel dev (its head is now 0.0.2)"},
		{name: "2 force publishes the head's lock again (another workflow run)",
			setup: func(l *ledger) { l.publish(req("dev", bump, lockAt(1, 0))) },
			req:   forcedRun(), kind: Publish, version: "0.0.2"},
		{name: "2 the rerun of a forced run finishes its own publish",
			setup: func(l *ledger) {
				l.publish(req("dev", bump, lockAt(1, 0)))
				l.publish(forcedRun())
			},
			req: forcedRun(), kind: Finish, version: "0.0.2"},
		{name: "3 superseded: a lock resolved before the head's is not published",
			setup: func(l *ledger) { l.publish(req("dev", prerelease, lockAt(2, time.Minute))) },
			req:   req("dev", prerelease, lockAt(1, 0)), kind: Superseded, reason: "superseded: this lock was resolved at 2026-11-22T01:15:00Z, before the lock of channel dev's head"},
		{name: "3 superseded, bump rule",
			setup: func(l *ledger) { l.publish(req("stable", bump, lockAt(2, time.Minute))) },
			req:   req("stable", bump, lockAt(1, 0)), kind: Superseded, reason: "head 0.0.1"},
		{name: "3 superseded, from rule",
			setup: func(l *ledger) { l.publish(req("staging", fromOp, lockAt(4, time.Minute))) },
			req:   req("staging", fromOp, lockAt(3, 0)), kind: Superseded, reason: "head 1.0.4"},
		{name: "3 a tie in resolution time is not superseded: the later claim wins",
			setup: func(l *ledger) { l.publish(req("dev", bump, lockAt(1, 0))) },
			req:   req("dev", bump, lockAt(2, 0)), kind: Publish, version: "0.0.2"},
		{name: "3 force publishes a superseded lock",
			setup: func(l *ledger) { l.publish(req("dev", bump, lockAt(2, time.Minute))) },
			req:   func() Request { r := req("dev", bump, lockAt(1, 0)); r.Force = true; return r }(), kind: Publish, version: "0.0.2"},
		{name: "3 a head recorded before resolution times were kept supersedes nothing",
			setup: func(l *ledger) {
				l.publish(req("dev", bump, lockAt(2, time.Minute)))
				l.doc.Bundles[0].Resolved = time.Time{}
			},
			req: req("dev", bump, lockAt(1, 0)), kind: Publish, version: "0.0.2"},
		{name: "4 the input version wins over the rule",
			req: func() Request { r := req("dev", bump, lockAt(1, 0)); r.Version = "3.0.0"; return r }(), kind: Publish, version: "3.0.0"},
		{name: "4 a version another lock holds is taken (from gives it again)",
			setup: func(l *ledger) { l.publish(req("staging", fromOp, lockAt(1, 0))) },
			req: func() Request {
				lk := lockAt(1, time.Second)
				lk.Components = append(lk.Components, lock.Entry{Name: "cli", Repo: "acme/cli", Ref: "refs/heads/main", Version: "main", Commit: sha("cli")[:40]})
				return req("staging", fromOp, lk)
			}(), err: "version 1.0.1 is already published as"},
		{name: "4 the same lock under a version another channel published: taken (a version belongs to one channel)",
			setup: func(l *ledger) { l.publish(req("staging", fromOp, lockAt(1, 0))) },
			req:   req("rc", fromOp, lockAt(1, 0)), err: "version 1.0.1 is already published as"},
		{name: "5 a from: head that would go down is an error naming both versions",
			setup: func(l *ledger) { l.publish(req("staging", fromOp, lockAt(4, 0))) },
			req:   req("staging", fromOp, lockAt(3, time.Minute)), err: "version 1.0.3 is not above 1.0.4, the version at channel staging's head"},
		{name: "5 force lets a from: head go down",
			setup: func(l *ledger) { l.publish(req("staging", fromOp, lockAt(4, 0))) },
			req:   func() Request { r := req("staging", fromOp, lockAt(3, time.Minute)); r.Force = true; return r }(), kind: Publish, version: "1.0.3"},
		{name: "5 an input version below the head is an error",
			setup: func(l *ledger) { l.publish(req("dev", bump, lockAt(1, 0))) },
			req:   func() Request { r := req("dev", bump, lockAt(2, time.Minute)); r.Version = "0.0.0"; return r }(), err: "not above 0.0.1"},
		{name: "5 prerelease locks resolved in one second: the later sorts above the head",
			setup: func(l *ledger) { l.publish(req("dev", prerelease, lockAt(9, 0))) },
			req:   req("dev", prerelease, lockAt(1, 0)), kind: Publish, version: "0.0.1-dev.20261122T011501." + lock.Short(sha("commit", 1))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := newLedger(t)
			if c.setup != nil {
				c.setup(l)
			}
			before := string(l.doc.Marshal())
			dec, err := Decide(l.doc, c.req)
			if after := string(l.doc.Marshal()); after != before {
				t.Errorf("Decide changed the document")
			}
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if dec.Kind != c.kind {
				t.Fatalf("kind %s, want %s (%+v)", dec.Kind, c.kind, dec)
			}
			got := dec.Version
			if dec.Kind == Finish || dec.Kind == Retired {
				got = dec.Bundle.Version
			}
			if c.version != "" && got != c.version {
				t.Errorf("version %q, want %q", got, c.version)
			}
			if !strings.Contains(dec.Reason, c.reason) {
				t.Errorf("reason %q, want it to contain %q", dec.Reason, c.reason)
			}
		})
	}
}

// The own-claim case needs the claim token: the setup publishes with the
// same request, so its entry carries the token.
func TestDecideOwnClaimIsMarked(t *testing.T) {
	l := newLedger(t)
	r := req("dev", bump, lockAt(1, 0))
	l.publish(r)
	dec, err := Decide(l.doc, r)
	if err != nil || dec.Kind != Publish || !dec.Own || dec.Bundle.Version != "0.0.1" {
		t.Fatalf("Decide = %+v, %v; want this attempt's own publish of 0.0.1", dec, err)
	}
	got, err := Claim(l.doc, r, "0.0.1", Bundle{Digest: "sha256:" + sha("other"), Now: fixture.T0})
	if !errors.Is(err, record.ErrNoChange) || !got.Own || len(l.doc.Bundles) != 1 {
		t.Errorf("Claim = %+v, %v, %d bundles; want no change, own", got, err, len(l.doc.Bundles))
	}
}

func TestClaim(t *testing.T) {
	t.Run("records the bundle, its resolution time and the new head", func(t *testing.T) {
		l := newLedger(t)
		first := l.publish(req("dev", bump, lockAt(1, 0)))
		r := req("dev", bump, lockAt(2, time.Second))
		dec, err := Claim(l.doc, r, "0.0.2", Bundle{Digest: "sha256:" + sha("m2"), Mode: record.ModeArtifact, Actor: "octocat", Now: fixture.T0.Add(time.Hour)})
		if err != nil || dec.Kind != Publish || dec.Replaces.Version != first.Version {
			t.Fatalf("Claim = %+v, %v", dec, err)
		}
		b, ok := l.doc.Bundle("0.0.2")
		if !ok || !b.Resolved.Equal(fixture.T0.Add(time.Second)) || b.LockDigest != r.Lock.Digest() || b.Channel != "dev" || b.Actor != "octocat" {
			t.Errorf("bundle %+v", b)
		}
		h, _ := l.doc.Head(record.ChannelStream("dev"))
		if h.Version != "0.0.2" || h.PreviousVersion != "0.0.1" || h.Claim != r.Claim || h.Decision != "published" {
			t.Errorf("head %+v", h)
		}
	})
	t.Run("the version moved: another job claimed it meanwhile", func(t *testing.T) {
		l := newLedger(t)
		r := req("dev", bump, lockAt(2, time.Second))
		dec, _ := Decide(l.doc, r) // 0.0.1, then another job takes it
		l.publish(req("dev", bump, lockAt(1, 0)))
		if _, err := Claim(l.doc, r, dec.Version, Bundle{Digest: "sha256:" + sha("m2"), Now: fixture.T0}); !errors.Is(err, ErrVersionMoved) {
			t.Errorf("err = %v, want ErrVersionMoved", err)
		}
		if len(l.doc.Bundles) != 1 {
			t.Errorf("%d bundles, want 1", len(l.doc.Bundles))
		}
	})
	t.Run("superseded meanwhile: nothing recorded", func(t *testing.T) {
		l := newLedger(t)
		r := req("dev", bump, lockAt(1, 0))
		dec, _ := Decide(l.doc, r)
		l.publish(req("dev", bump, lockAt(2, time.Second)))
		got, err := Claim(l.doc, r, dec.Version, Bundle{Digest: "sha256:" + sha("m1"), Now: fixture.T0})
		if !errors.Is(err, record.ErrNoChange) || got.Kind != Superseded || len(l.doc.Bundles) != 1 {
			t.Errorf("Claim = %+v, %v", got, err)
		}
	})
	t.Run("the same lock published meanwhile by another job: finish it", func(t *testing.T) {
		l := newLedger(t)
		r := req("dev", bump, lockAt(1, 0))
		dec, _ := Decide(l.doc, r)
		other := r
		other.Claim = "another job"
		l.publish(other)
		got, err := Claim(l.doc, r, dec.Version, Bundle{Digest: "sha256:" + sha("m1"), Now: fixture.T0})
		if !errors.Is(err, record.ErrNoChange) || got.Kind != Finish || got.Bundle.Version != "0.0.1" {
			t.Errorf("Claim = %+v, %v", got, err)
		}
	})
}

// TestOrderUnderAnyPublishOrder: 20 locks resolved within one second. In
// order, each gets a strictly higher version; in any order, the head ends on
// the last resolved lock, versions only go up along the stream and no lock
// is published twice (SPEC section 7, Order).
func TestOrderUnderAnyPublishOrder(t *testing.T) {
	locks := make([]lock.Lock, 20)
	for i := range locks {
		locks[i] = lockAt(i+1, time.Duration(i)*40*time.Millisecond)
	}
	orders := map[string][]int{"in order": nil, "reversed": nil, "interleaved": nil}
	for i := range locks {
		orders["in order"] = append(orders["in order"], i)
		orders["reversed"] = append(orders["reversed"], len(locks)-1-i)
		orders["interleaved"] = append(orders["interleaved"], (i*7)%len(locks))
	}
	for _, rule := range []channel.VersionRule{prerelease, bump, fromOp} {
		for name, order := range orders {
			t.Run(fmt.Sprintf("%+v/%s", rule, name), func(t *testing.T) {
				l := newLedger(t)
				for _, i := range order {
					for attempt := 0; attempt < 2; attempt++ { // each publish twice: a rerun
						r := req("dev", rule, locks[i])
						dec, err := Decide(l.doc, r)
						if err != nil {
							t.Fatal(err)
						}
						if dec.Kind == Publish {
							l.publish(r)
						}
					}
				}
				entries := l.doc.Stream(record.ChannelStream("dev"))
				last, _ := l.doc.BundleByDigest(entries[len(entries)-1].Digest)
				if last.LockDigest != req("dev", rule, locks[len(locks)-1]).Lock.Digest() {
					t.Errorf("head %s is not the last resolved lock", last.Version)
				}
				seen := map[string]bool{}
				for i, e := range entries {
					b, _ := l.doc.BundleByDigest(e.Digest)
					if seen[b.LockDigest] {
						t.Errorf("lock of %s published twice", e.Version)
					}
					seen[b.LockDigest] = true
					if i > 0 && !semver.MustParse(e.Version).GreaterThan(semver.MustParse(entries[i-1].Version)) {
						t.Errorf("%s follows %s: not above", e.Version, entries[i-1].Version)
					}
				}
				if name == "in order" && len(entries) != len(locks) {
					t.Errorf("%d published in order, want %d", len(entries), len(locks))
				}
			})
		}
	}
}

// retireStream retires stream at its head, as ladder retire does.
func retireStream(l *ledger, stream string) {
	l.t.Helper()
	if err := l.doc.Retire(stream, record.Retirement{At: fixture.T0, Actor: "octocat", Reason: "end of life"}); err != nil {
		l.t.Fatal(err)
	}
}

// TestRetentionNeverDeletesRetired: a retired channel's bundles are never
// victims, nor any bundle a retired channel or label ever held.
func TestRetentionNeverDeletesRetired(t *testing.T) {
	versions := func(bs []record.Bundle) string {
		var out []string
		for _, b := range bs {
			out = append(out, b.Version)
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		name   string
		retire func(l *ledger)
		want   string
	}{
		{"nothing retired: the three oldest", func(*ledger) {}, "0.0.1 0.0.2 0.0.3"},
		{"the channel retired: none", func(l *ledger) { retireStream(l, "channel:dev") }, ""},
		{"the channel retired: none, also a bundle of it its stream never held", func(l *ledger) {
			// published first, before the ledger kept streams
			l.doc.Bundles = append([]record.Bundle{{Version: "0.0.0-old", Digest: "sha256:" + sha("old"), Channel: "dev"}}, l.doc.Bundles...)
			retireStream(l, "channel:dev")
		}, ""},
		{"another channel retired: as before", func(l *ledger) {
			l.publish(req("stable", bump, lockAt(9, time.Hour)))
			retireStream(l, "channel:stable")
		}, "0.0.1 0.0.2 0.0.3"},
		{"a retired label held 0.0.1, 0.0.2, then 0.0.5: 0.0.1 kept too (0.0.2 is its previous value)", func(l *ledger) {
			for _, v := range []string{"0.0.1", "0.0.2", "0.0.5"} {
				if err := l.doc.Append(record.LabelStream("old"), record.Entry{Version: v, At: fixture.T0}); err != nil {
					t.Fatal(err)
				}
			}
			retireStream(l, "label:old")
		}, "0.0.3"},
		{"a label held them and was retired, then undone: as before (its previous value 0.0.2 kept)", func(l *ledger) {
			for _, v := range []string{"0.0.1", "0.0.2"} {
				if err := l.doc.Append(record.LabelStream("old"), record.Entry{Version: v, At: fixture.T0}); err != nil {
					t.Fatal(err)
				}
			}
			if err := l.doc.Append(record.LabelStream("old"), record.Entry{Version: "0.0.5", At: fixture.T0}); err != nil {
				t.Fatal(err)
			}
			retireStream(l, "label:old")
			if err := l.doc.Unretire("label:old", record.RetireEvent{At: fixture.T0, Reason: "back"}); err != nil {
				t.Fatal(err)
			}
		}, "0.0.1 0.0.3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLedger(t)
			for i := 1; i <= 5; i++ {
				l.publish(req("dev", bump, lockAt(i, time.Duration(i)*time.Second)))
			}
			tc.retire(l)
			if got := versions(RetentionVictims(l.doc, "dev", 2)); got != tc.want {
				t.Errorf("victims %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRetentionVictims(t *testing.T) {
	l := newLedger(t)
	for i := 1; i <= 5; i++ {
		l.publish(req("dev", bump, lockAt(i, time.Duration(i)*time.Second)))
	}
	// a label holds 0.0.2, its previous value 0.0.1
	b1, _ := l.doc.Bundle("0.0.1")
	b2, _ := l.doc.Bundle("0.0.2")
	if err := l.doc.Append(record.LabelStream("testing"), record.Entry{Version: "0.0.2", Digest: b2.Digest, At: fixture.T0, PreviousVersion: "0.0.1", PreviousDigest: b1.Digest}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		keep int
		want string
	}{
		{"keep more than there are", 9, ""},
		{"keep 2: the older three, less what a label or its previous value holds", 2, "0.0.3"},
		{"keep 1", 1, "0.0.3 0.0.4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, b := range RetentionVictims(l.doc, "dev", c.keep) {
				got = append(got, b.Version)
			}
			if strings.Join(got, " ") != c.want {
				t.Errorf("victims %v, want %q", got, c.want)
			}
		})
	}
	t.Run("a deleted version is not a victim again", func(t *testing.T) {
		b3, _ := l.doc.Bundle("0.0.3")
		if err := l.doc.RecordDeletion(record.Deletion{Version: "0.0.3", Digest: b3.Digest, At: fixture.T0}); err != nil {
			t.Fatal(err)
		}
		if v := RetentionVictims(l.doc, "dev", 2); len(v) != 0 {
			t.Errorf("victims %v, want none", v)
		}
	})
}

func TestDeletedViews(t *testing.T) {
	digest := func(n int) string { return "sha256:" + sha("m", n) }
	cases := []struct {
		name    string
		bundles []record.Bundle
		deleted []string // versions recorded deleted
		of      string   // the version whose views go
		want    string
	}{
		{"the views its publish wrote", []record.Bundle{{Version: "1.0.0", Digest: digest(1), ID: "aaaaaaa", Tags: []string{"aaaaaaa", "sha-1234567", "rc"}}},
			[]string{"1.0.0"}, "1.0.0", "aaaaaaa sha-1234567 rc"},
		{"a bundle recorded before views were kept: its composite id", []record.Bundle{{Version: "1.0.0", Digest: digest(1), ID: "aaaaaaa"}},
			[]string{"1.0.0"}, "1.0.0", "aaaaaaa"},
		{"one image under two versions, the other kept: its views stay", []record.Bundle{
			{Version: "1.0.0", Digest: digest(1), Tags: []string{"aaaaaaa", "old"}},
			{Version: "1.0.1", Digest: digest(1), Tags: []string{"aaaaaaa", "new"}}},
			[]string{"1.0.0"}, "1.0.0", "old"},
		{"one image under two versions, both deleted: all views go", []record.Bundle{
			{Version: "1.0.0", Digest: digest(1), Tags: []string{"aaaaaaa", "old"}},
			{Version: "1.0.1", Digest: digest(1), Tags: []string{"aaaaaaa", "new"}}},
			[]string{"1.0.0", "1.0.1"}, "1.0.1", "aaaaaaa old new"},
		{"another bundle's views are not touched", []record.Bundle{
			{Version: "1.0.0", Digest: digest(1), Tags: []string{"aaaaaaa"}},
			{Version: "1.0.1", Digest: digest(2), Tags: []string{"bbbbbbb"}}},
			[]string{"1.0.0"}, "1.0.0", "aaaaaaa"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := record.NewDocument("p")
			for _, b := range c.bundles {
				if err := d.AddBundle(b); err != nil {
					t.Fatal(err)
				}
			}
			for _, v := range c.deleted {
				b, _ := d.Bundle(v)
				if err := d.RecordDeletion(record.Deletion{Version: v, Digest: b.Digest, At: fixture.T0}); err != nil {
					t.Fatal(err)
				}
			}
			b, _ := d.Bundle(c.of)
			if got := strings.Join(DeletedViews(d, b), " "); got != c.want {
				t.Errorf("views %q, want %q", got, c.want)
			}
		})
	}
}
