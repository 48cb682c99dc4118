package litellm

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// TestLock checks that the lock pins Version with hashes, pins every package to one version,
// and never names a release known to be malicious.
func TestLock(t *testing.T) {
	if !bytes.Contains(Requirements, []byte("\nlitellm=="+Version+" \\\n")) {
		t.Errorf("requirements.txt does not pin litellm==%s", Version)
	}
	for _, bad := range []string{"1.82.7", "1.82.8", "1.107.0"} {
		if Version == bad || bytes.Contains(Requirements, []byte("litellm=="+bad)) {
			t.Errorf("litellm %s is a malicious release", bad)
		}
	}
	pin := regexp.MustCompile(`^[A-Za-z0-9._-]+==[^ ]+ \\$`)
	lines := strings.Split(string(Requirements), "\n")
	pins := 0
	for i, l := range lines {
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, " ") {
			continue
		}
		if !pin.MatchString(l) {
			t.Errorf("line %d is not an exact pin followed by hashes: %q", i+1, l)
			continue
		}
		pins++
		if i+1 >= len(lines) || !strings.HasPrefix(strings.TrimSpace(lines[i+1]), "--hash=sha256:") {
			t.Errorf("line %d: %q has no hash", i+1, l)
		}
	}
	if pins < 10 {
		t.Errorf("%d pins; the lock looks truncated", pins)
	}
}
