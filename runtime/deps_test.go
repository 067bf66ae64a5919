package runtime

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies enforces the package rule: runtime (not its tests) imports
// only format/..., runtime/kernels, golang.org/x/sys, x448/float16 and
// nlpodyssey/safetensors (through format/safetensors) outside
// the standard library, never convert, verify, cmd or tokenizer.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		switch {
		case p == "github.com/ct2go/ct2go/runtime",
			p == "github.com/ct2go/ct2go/runtime/kernels",
			strings.HasPrefix(p, "github.com/ct2go/ct2go/format/"),
			strings.HasPrefix(p, "golang.org/x/sys/"),
			p == "github.com/x448/float16",
			// format/safetensors parses shard headers with it (LoadCheckpoint).
			p == "github.com/nlpodyssey/safetensors":
		default:
			t.Errorf("runtime depends on %s", p)
		}
	}
}
