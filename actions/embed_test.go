package actions

import "testing"

// The root action.yml against the actions' metadata, and each action.yml
// against the code, are checked by internal/app's TestActionYAMLMatchesCode.

func TestLoadUnknownAction(t *testing.T) {
	if _, err := Load("nope"); err == nil {
		t.Error("Load of an unknown action succeeded")
	}
}
