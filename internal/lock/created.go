package lock

import (
	"errors"
	"fmt"
	"time"
)

// maxClockSkew is how far a lock's created may lie ahead of this runner's
// clock (runners' clocks disagree a little).
const maxClockSkew = 5 * time.Minute

// CheckCreated: a lock's created orders it against the channel's head (SPEC
// section 2), so it must be there and not in the future: a lock without it
// cannot be ordered, and one from the future would supersede every lock
// resolved before that moment. force publishes either anyway.
func CheckCreated(l Lock, now time.Time, force bool) error {
	switch {
	case force:
		return nil
	case l.Created.IsZero():
		return errors.New("created: missing; resolve-channel writes the moment it resolved the lock, which orders it against the channel's head (resolve the channel again, or give force)")
	case l.Created.After(now.Add(maxClockSkew)):
		return fmt.Errorf("created: %s is %s after this runner's clock (%s): a lock from the future would supersede every lock resolved before it (check the clock of the runner that resolved it, resolve again, or give force)",
			l.Created.UTC().Format(time.RFC3339), l.Created.Sub(now).Round(time.Second), now.UTC().Format(time.RFC3339))
	}
	return nil
}
