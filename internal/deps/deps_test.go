// Package deps holds the test that keeps the package dependencies pointing
// one way (shared/docs/design.md §1): one table says what each of our
// packages may import, our packages and third-party modules alike.
package deps

import (
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/ct2go/ct2go"

// Third-party modules (go.mod), by who may use them.
const (
	xsys        = "golang.org/x/sys/..."
	xterm       = "golang.org/x/term/..."
	float16     = "github.com/x448/float16/..."
	safetensors = "github.com/nlpodyssey/safetensors/..."
	zstd        = "github.com/klauspost/compress/..."
	cli         = "github.com/urfave/cli/v2/..."       // cmd only
	progressbar = "github.com/schollz/progressbar/..." // cmd only
)

// rule: what a package's own files may import, and what its tests may import
// on top of that (internal/testfix is always allowed to tests).
type rule struct {
	imports, tests []string
}

// allowed has one row per package of ours (path below the module; "p/..."
// is p and everything under it, the most specific row wins). Entries are
// our packages or third-party modules in the same notation; the standard
// library is always allowed. A package without a row fails the test:
// adding a package is adding its line here.
var allowed = map[string]rule{
	"cmd/...":                    {imports: []string{"convert/...", "quantize", "format/...", "runtime", "tokenizer/...", "verify/...", "generate", "hub", "internal/...", cli, progressbar, xterm}, tests: []string{xsys}}, // pty tests
	"convert":                    {imports: []string{"quantize", "format/...", "internal/fsutil", xsys}},
	"hub":                        {},
	"format/checkpoint":          {imports: []string{"format/hf", "format/safetensors"}},
	"format/ct2":                 {imports: []string{"internal/pyjson", "internal/fsutil", xsys}},
	"format/half":                {imports: []string{float16}},
	"format/hf":                  {imports: []string{"internal/fsutil"}},
	"format/safetensors":         {imports: []string{"internal/fsutil", safetensors, xsys}},
	"quantize":                   {},
	"runtime":                    {imports: []string{"format/checkpoint", "format/ct2", "format/hf", "format/safetensors", "internal/kernels", "internal/fsutil", float16, xsys}, tests: []string{"runtime/internal/testmodel", "internal/synthmodel"}},
	"runtime/internal/testmodel": {imports: []string{"format/ct2", "internal/testfix", float16}},
	"tokenizer":                  {imports: []string{"tokenizer/jinja", "format/hf", "internal/fsutil"}, tests: []string{"tokenizer/benchtext"}},
	"tokenizer/jinja":            {imports: []string{"internal/pyjson"}},
	"tokenizer/benchtext":        {},
	"verify":                     {imports: []string{"runtime", "format/...", "tokenizer", "internal/fsutil", zstd}},
	"generate":                   {imports: []string{"runtime", "format/hf", "tokenizer", "internal/fsutil"}},
	"internal/...":               {},                        // shared helpers: standard library only ...
	"internal/fsutil":            {imports: []string{xsys}}, // ... and mmap
	"internal/kernels":           {imports: []string{xsys}, tests: []string{float16}},
	"internal/synth":             {imports: []string{"format/...", xsys}, tests: []string{"convert"}},
	"internal/synthmodel":        {imports: []string{"format/ct2"}},
	"scripts/...":                {imports: []string{"tokenizer/...", "format/...", "runtime"}},
}

// pkg is what go list says about one of our packages.
type pkg struct {
	ImportPath                         string
	Imports, TestImports, XTestImports []string
}

func TestDependencyDirection(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	for _, v := range check(pkgs, allowed) {
		t.Error(v)
	}
}

// TestCheckerCatches runs the checker on made-up packages: it must flag a
// forbidden import of ours, a third-party module outside its users, cmd,
// a test import beyond the extras, a package without a row and a stale row.
func TestCheckerCatches(t *testing.T) {
	t.Parallel()
	rules := map[string]rule{
		"cmd/...":    {imports: []string{"a", cli}},
		"a":          {imports: []string{"b/...", xsys}, tests: []string{"c"}},
		"b/...":      {},
		"b/special":  {imports: []string{"c"}},
		"c":          {},
		"gone/thing": {},
	}
	m := func(p string) string { return module + "/" + p }
	pkgs := []pkg{
		{ImportPath: m("cmd/x"), Imports: []string{"fmt", m("a"), "github.com/urfave/cli/v2"}},
		{ImportPath: m("a"), Imports: []string{"os", m("b"), m("b/deep"), "golang.org/x/sys/unix",
			m("c"), "github.com/urfave/cli/v2/altsrc", m("cmd/x")},
			TestImports: []string{m("c"), m("internal/testfix"), m("b/special")}, XTestImports: []string{m("a"), m("d")}},
		{ImportPath: m("b"), Imports: []string{"runtime"}},
		{ImportPath: m("b/special"), Imports: []string{m("c")}},
		{ImportPath: m("b/deep"), Imports: []string{m("c")}},
		{ImportPath: m("c")},
		{ImportPath: m("d")},
	}
	got := check(pkgs, rules)
	want := []string{
		"a imports c: not in its row of the table",
		"a imports cmd/x: not in its row of the table",
		"a imports github.com/urfave/cli/v2/altsrc: not in its row of the table",
		"a's tests import d: not in its row of the table",
		"b/deep imports c: not in its row of the table",
		"d: no row in the table of allowed imports (add one)",
		"row gone/thing matches no package (remove or rename it)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// b/special's own row lets it import c, while b/deep falls under b/...;
	// a's tests may import c, internal/testfix and a itself.
}

// check lists every import that the table does not allow, packages without a
// row and rows that match no package, sorted.
func check(pkgs []pkg, rules map[string]rule) []string {
	var bad []string
	used := map[string]bool{}
	for _, p := range pkgs {
		name, ok := ours(p.ImportPath)
		if !ok {
			continue
		}
		key, found := rowFor(name, rules)
		if !found {
			bad = append(bad, name+": no row in the table of allowed imports (add one)")
			continue
		}
		used[key] = true
		r := rules[key]
		for _, imp := range p.Imports {
			if !permitted(name, imp, r.imports) {
				bad = append(bad, fmt.Sprintf("%s imports %s: not in its row of the table", name, short(imp)))
			}
		}
		testOK := append(append([]string{"internal/testfix"}, r.imports...), r.tests...)
		for _, imp := range append(append([]string{}, p.TestImports...), p.XTestImports...) {
			if !permitted(name, imp, testOK) {
				bad = append(bad, fmt.Sprintf("%s's tests import %s: not in its row of the table", name, short(imp)))
			}
		}
	}
	for key := range rules {
		if !used[key] {
			bad = append(bad, "row "+key+" matches no package (remove or rename it)")
		}
	}
	sort.Strings(bad)
	return bad
}

// ours strips the module path from one of our import paths.
func ours(path string) (string, bool) {
	return strings.CutPrefix(path, module+"/")
}

func short(path string) string {
	if name, ok := ours(path); ok {
		return name
	}
	return path
}

// rowFor picks the most specific row for a package: its own, else the
// longest "p/..." above it.
func rowFor(name string, rules map[string]rule) (string, bool) {
	best, found := "", false
	for key := range rules {
		if matches(key, name) && (!found || len(key) > len(best)) {
			best, found = key, true
		}
	}
	return best, found
}

// matches reports whether pattern ("p" or "p/...") covers path.
func matches(pattern, path string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == base || strings.HasPrefix(path, base+"/")
	}
	return path == pattern
}

// permitted: the standard library, the package itself, or an entry of the
// row (ours written below the module, third-party in full).
func permitted(self, imp string, entries []string) bool {
	first, _, _ := strings.Cut(imp, "/")
	if !strings.Contains(first, ".") {
		return true // standard library
	}
	name, isOurs := ours(imp)
	if isOurs && name == self {
		return true
	}
	for _, e := range entries {
		if isOurs && !strings.Contains(strings.SplitN(e, "/", 2)[0], ".") && matches(e, name) {
			return true
		}
		if !isOurs && matches(e, imp) {
			return true
		}
	}
	return false
}
