// Package deps holds the test that keeps the package dependencies pointing
// one way (shared/docs/design.md §1).
package deps

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/ct2go/ct2go/"

// allowed lists, per package prefix, which of our packages it may import
// (directly or not). Anything of ours not matching is a violation.
var allowed = map[string][]string{
	"format/":          {"format/"},
	"quantize":         {},
	"tokenizer":        {"tokenizer/", "format/hf"},
	"runtime":          {"format/", "runtime/"},
	"verify":           {"verify/", "runtime", "format/", "tokenizer"},
	"generate":         {"runtime", "format/", "tokenizer"},
	"convert/hub":      {},
	"convert/synth":    {"format/"},
	"convert":          {"convert/", "quantize", "format/"},
	"internal/testfix": {},
}

func TestDependencyDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps=false", "-json", "github.com/ct2go/ct2go/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p struct {
			ImportPath string
			Deps       []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(p.ImportPath, module)
		rule, ok := ruleFor(name)
		if !ok {
			continue // cmd and scripts may import anything
		}
		for _, d := range p.Deps {
			if strings.HasPrefix(d, module+"cmd") {
				t.Errorf("%s imports %s: nothing may import cmd", name, d)
				continue
			}
			dep, ours := strings.CutPrefix(d, module)
			if !ours || dep == name || strings.HasPrefix(dep, "internal/testfix") {
				continue
			}
			if !permitted(dep, rule) {
				t.Errorf("%s must not depend on %s", name, dep)
			}
		}
	}
}

// ruleFor picks the most specific rule for a package.
func ruleFor(name string) ([]string, bool) {
	best, found := "", false
	for prefix := range allowed {
		if (name == strings.TrimSuffix(prefix, "/") || strings.HasPrefix(name, prefix)) && len(prefix) > len(best) {
			best, found = prefix, true
		}
		if strings.HasPrefix(name, prefix+"/") && len(prefix) > len(best) {
			best, found = prefix, true
		}
	}
	return allowed[best], found
}

func permitted(dep string, rule []string) bool {
	for _, r := range rule {
		if dep == strings.TrimSuffix(r, "/") || strings.HasPrefix(dep, r) {
			return true
		}
	}
	return false
}
