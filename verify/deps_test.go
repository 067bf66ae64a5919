package verify

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies: verify judges any converter's output,
// so it imports runtime, format/... and tokenizer, never convert, quantize or
// cmd (design.md §1).
func TestDependencies(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	const mod = "github.com/ct2go/ct2go/"
	for _, p := range strings.Fields(string(out)) {
		rest, ok := strings.CutPrefix(p, mod)
		if !ok {
			continue
		}
		top, _, _ := strings.Cut(rest, "/")
		switch top {
		case "verify", "runtime", "format", "tokenizer", "internal":
		default:
			t.Errorf("verify depends on %s", p)
		}
	}
}
