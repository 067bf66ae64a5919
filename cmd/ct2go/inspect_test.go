package main

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ct2go/ct2go/internal/testfix"
)

var updateInspect = flag.Bool("update-inspect", false, "rewrite testdata/inspect/*.txt from the current ct2go inspect output")

// TestInspectGolden pins the exact bytes `ct2go inspect` prints (stdout,
// stderr, exit code; text and --json) for a ct2go model, a --ct2-compat
// conversion (the fix-rope warning) and a Hugging Face checkpoint. Paths are
// replaced by placeholders so the goldens do not depend on where the
// fixtures live.
func TestInspectGolden(t *testing.T) {
	compat := filepath.Join(t.TempDir(), "compat")
	if r := ct2go(t, nil, "convert", "--model", testfix.Path(t, "tiny-mllama"), "--output_dir", compat, "--ct2-compat", "--quiet"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	ct2goModel := testfix.Path(t, "golden", "ct2go", "int8_float16")
	hfModel := testfix.Path(t, "tiny-mllama")
	for _, c := range []struct {
		name string
		args []string
	}{
		{"ct2go-text", []string{ct2goModel}},
		{"ct2go-json", []string{"--json", ct2goModel}},
		{"ct2go-modelbin-text", []string{filepath.Join(ct2goModel, "model.bin")}},
		{"compat-text", []string{compat}},
		{"compat-json", []string{"--json", compat}},
		{"hf-text", []string{hfModel}},
		{"hf-json", []string{"--json", hfModel}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := ct2go(t, nil, append([]string{"inspect"}, c.args...)...)
			got := "exit " + strconv.Itoa(r.code) + "\n--- stdout\n" + r.stdout + "--- stderr\n" + r.stderr
			got = strings.NewReplacer(ct2goModel, "$CT2GO_MODEL", compat, "$COMPAT", hfModel, "$HF_MODEL").Replace(got)
			path := filepath.Join("testdata", "inspect", c.name+".txt")
			if *updateInspect {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("ct2go inspect %s differs from %s (rerun with -update-inspect only for an intended change):\n%s", strings.Join(c.args, " "), path, firstDiff(got, string(want)))
			}
		})
	}
}

// firstDiff shows the first differing line of got and want.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + "\n got:  " + gl + "\n want: " + wl
		}
	}
	return ""
}
