package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ct2go/ct2go/convert"
	"github.com/ct2go/ct2go/internal/synth"
	"github.com/ct2go/ct2go/internal/testfix"
)

func TestReorderArgs(t *testing.T) {
	app := newApp()
	for _, c := range []struct{ in, want string }{
		{"ct2go inspect DIR --json", "ct2go inspect --json DIR"},
		{"ct2go tokenize Hi --model M", "ct2go tokenize --model M Hi"},
		{"ct2go tokenize - --model M", "ct2go tokenize --model M -"},
		{"ct2go tokenize --model M -- --json", "ct2go tokenize --model M -- --json"},
		{"ct2go tokenize Hi --model M -- -x", "ct2go tokenize --model M -- Hi -x"},
		{"ct2go tokenize --model=M Hi --json", "ct2go tokenize --model=M --json Hi"},
		{"ct2go convert --copy_files A B --model M", "ct2go convert --copy_files A --copy_files B --model M"},
		{"ct2go convert --copy-files A B C", "ct2go convert --copy_files A --copy_files B --copy_files C"},
		{"ct2go convert -o=X --dry_run", "ct2go convert --output_dir=X --dry-run"},
		{"ct2go convert --copy_files A,B --force", "ct2go convert --copy_files A,B --force"},
		{"ct2go run --prompt -x --model M", "ct2go run --prompt -x --model M"},
		{"ct2go detokenize 1 2 --model M 3", "ct2go detokenize --model M 1 2 3"},
		{"ct2go bogus a --b", "ct2go bogus a --b"},
		{"ct2go --version", "ct2go --version"},
	} {
		got, _ := reorderArgs(app, strings.Fields(c.in))
		if strings.Join(got, " ") != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.in, strings.Join(got, " "), c.want)
		}
	}
}

// TestFlagsAfterArgs: flags after positional arguments, and the three
// --copy_files forms (CTranslate2's nargs, repeated, comma-separated).
func TestFlagsAfterArgs(t *testing.T) {
	golden := testfix.Path(t, "golden", "ct2go", "int8_float16")
	r := ct2go(t, nil, "inspect", golden, "--json")
	var m map[string]any
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &m) != nil || m["variables"] == nil {
		t.Errorf("inspect DIR --json: exit %d, stdout %.200q, stderr %q", r.code, r.stdout, r.stderr)
	}
	dir := testfix.Path(t, "tiny-mllama")
	r = ct2go(t, nil, "tokenize", "Hello, world!", "--model", dir, "--json")
	if r.code != 0 || !strings.Contains(r.stdout, "9906") {
		t.Errorf("tokenize TEXT --model M: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	r = ct2go(t, nil, "tokenize", "--model", dir, "--no-special", "--", "--json")
	if r.code != 0 || strings.Contains(r.stdout, "{") || !strings.Contains(r.stdout, "json") {
		t.Errorf("tokenize -- --json takes --json as text: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}

	in := copyFixture(t)
	for _, f := range []string{"A.txt", "B.txt", "C.txt"} {
		os.WriteFile(filepath.Join(in, f), []byte(f), 0o644)
	}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"nargs", []string{"--copy_files", "A.txt", "B.txt", "C.txt", "--quiet"}},
		{"repeated", []string{"--copy-files", "A.txt", "--copy_files", "B.txt", "--copy_files", "C.txt"}},
		{"comma", []string{"--copy_files", "A.txt,B.txt,C.txt"}},
		{"after the model", []string{"--quiet", "--copy_files", "A.txt", "B.txt", "C.txt"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"convert", "--model", in, "--output_dir", out}, c.args...)
			if c.name == "after the model" {
				args = append([]string{"convert", "--output_dir", out}, append(c.args, "--model", in)...)
			}
			if r := ct2go(t, nil, args...); r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			for _, f := range []string{"A.txt", "B.txt", "C.txt", "model.bin"} {
				if _, err := os.Stat(filepath.Join(out, f)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	// A missing extra file is worded with the flag by cmd (convert returns a CopyFileError).
	r = ct2go(t, nil, "convert", "--model", in, "--output_dir", filepath.Join(t.TempDir(), "o"), "--copy_files", "A.txt", "D.txt")
	if r.code != exitFailure || !strings.Contains(r.stderr, `--copy_files "D.txt": does not exist in`) {
		t.Errorf("missing copy file: exit %d, %q", r.code, r.stderr)
	}
}

// TestUsageErrors: every command-line mistake is exit 2 with one line that
// points at the command's help, never the help itself.
func TestUsageErrors(t *testing.T) {
	type usageCase struct {
		args []string
		cmd  string
		says string
	}
	cases := []usageCase{
		{[]string{"bogus"}, "", `unknown command "bogus"`},
		{[]string{"help", "bogus"}, "", `unknown command "bogus"`},
		{[]string{"--bogus"}, "", "bogus"},
		{[]string{"convert", "--threads", "abc", "--model", "x"}, "convert", `--threads: invalid value "abc"`},
		{[]string{"tokenize", "--json=maybe"}, "tokenize", `--json: invalid value "maybe"`},
		{[]string{"convert", "--output_dir", "x"}, "convert", "--model is required"},
		{[]string{"convert", "--model", "x", "--quantization", "int4"}, "convert", "--quantization"},
		{[]string{"run", "--max_tokens", "many", "--model", "x"}, "run", `"many"`},
		{[]string{"verify", "--max-kld", "tiny", "--model", "x"}, "verify", `"tiny"`},
	}
	for _, c := range newApp().Commands {
		cases = append(cases, usageCase{[]string{c.Name, "--no-such-flag"}, c.Name, "unknown flag --no-such-flag"})
	}
	for _, c := range cases {
		r := ct2go(t, nil, c.args...)
		hint := "(see ct2go --help)"
		if c.cmd != "" {
			hint = "(see ct2go " + c.cmd + " --help)"
		}
		if r.code != exitUsage || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "ct2go: ") ||
			!strings.Contains(r.stderr, c.says) || !strings.Contains(r.stderr, hint) || r.stdout != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q and %q", c.args, r.code, r.stdout, r.stderr, c.says, hint)
		}
	}
}

// TestModelPaths: a --model that can only be a path never goes to the hub;
// a path of the wrong kind says what it is and which command fits.
func TestModelPaths(t *testing.T) {
	ckpt := testfix.Path(t, "tiny-mllama")
	model := testfix.Path(t, "golden", "ct2go", "int8_float16")
	cache := t.TempDir()
	// An unreachable endpoint: any hub access fails fast and would show in the message.
	env := []string{"HF_HUB_CACHE=" + cache, "HF_ENDPOINT=http://127.0.0.1:9", "HF_HUB_OFFLINE="}
	out := filepath.Join(t.TempDir(), "out")
	for _, c := range []struct {
		args []string
		code int
		says []string
	}{
		{[]string{"convert", "--model", model, "--output_dir", out}, exitUsage, []string{"is already a CTranslate2 model: use run/verify/inspect"}},
		{[]string{"convert", "--model", filepath.Join(model, "model.bin"), "--output_dir", out}, exitUsage, []string{"model.bin, already converted", "use run/verify/inspect on its directory"}},
		{[]string{"strip", "--model", model, "--output_dir", out}, exitUsage, []string{"is already a CTranslate2 model"}},
		{[]string{"convert", "--model", filepath.Join(ckpt, "config.json"), "--output_dir", out}, exitUsage, []string{"is a file of a Hugging Face checkpoint: give its directory"}},
		{[]string{"inspect", filepath.Join(ckpt, "config.json")}, exitUsage, []string{"give its directory"}},
		{[]string{"tokenize", "--model", filepath.Join(model, "model.bin"), "Hi"}, exitUsage, []string{"model.bin: give its directory"}},
		{[]string{"convert", "--model", "./no/such/dir", "--output_dir", out}, exitFailure, []string{"./no/such/dir: no such directory"}},
		{[]string{"convert", "--model", "acme/tiny/extra", "--output_dir", out}, exitFailure, []string{"acme/tiny/extra: no such directory"}},
		{[]string{"convert", "--model", "~nobody/x", "--output_dir", out}, exitFailure, []string{"no such directory"}},
		{[]string{"inspect", "/no/such/model.bin"}, exitFailure, []string{"/no/such/model.bin: no such directory"}},
		{[]string{"convert", "--model", "acme/absent", "--output_dir", out, "--offline"}, exitFailure, []string{"acme/absent: not found locally (no such directory), nor on the hub:", "offline"}},
		{[]string{"run", "--model", ckpt, "--prompt", "Hi"}, exitUsage, []string{"is a Hugging Face checkpoint, not a CTranslate2 model: convert it first"}},
		{[]string{"run", "--model", filepath.Join(model, "model.bin"), "--prompt", "Hi"}, exitUsage, []string{"model.bin: give its directory"}},
		{[]string{"verify", "--model", ckpt, "--reference", "ref.safetensors"}, exitUsage, []string{"is a Hugging Face checkpoint, not a CTranslate2 model"}},
		{[]string{"verify", "--model", model, "--against", ckpt, "--prompts", "p.json"}, exitUsage, []string{ckpt + " is a Hugging Face checkpoint"}},
		{[]string{"verify", "--model", "./no/such/dir", "--reference", "ref.safetensors"}, exitVerifyError, []string{"./no/such/dir: no such directory"}},
	} {
		r := ct2go(t, env, c.args...)
		if r.code != c.code || strings.Count(r.stderr, "\n") != 1 || strings.Contains(r.stderr, "127.0.0.1") {
			t.Errorf("%q: exit %d, stderr %q; want exit %d, one line, no hub access", c.args, r.code, r.stderr, c.code)
		}
		for _, s := range c.says {
			if !strings.Contains(r.stderr, s) {
				t.Errorf("%q: stderr %q does not say %q", c.args, r.stderr, s)
			}
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("an output was written")
	}
	kinds := map[string]modelKind{ckpt: kindHFDir, model: kindCT2Dir, filepath.Join(model, "model.bin"): kindCT2File,
		filepath.Join(ckpt, "config.json"): kindHFFile, t.TempDir(): kindOtherDir, filepath.Join(cache, "nope"): kindMissing}
	for p, want := range kinds {
		if got := classifyModelPath(p); got != want {
			t.Errorf("classifyModelPath(%s) = %d, want %d", p, got, want)
		}
	}
	if err := checkModelPath("run", ckpt, kindCT2Dir); err == nil || !strings.Contains(err.Error(), "convert it first") {
		t.Errorf("run on a Hugging Face checkpoint: %v", err)
	}
}

// TestManyProblems: a checkpoint with 24 problems prints the first 10 by
// layer, one per line, then "... and 14 more"; --json lists them all.
func TestManyProblems(t *testing.T) {
	ckpt, _ := tiny(t)
	in := filepath.Join(t.TempDir(), "model")
	copyTree(t, ckpt, in)
	editJSON(t, filepath.Join(in, "config.json"), func(m map[string]any) { textCfg(m)["cross_attention_layers"] = []any{2} })
	r := ct2go(t, nil, "inspect", in)
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if r.code != exitFailure || len(lines) != 12 || !strings.HasSuffix(lines[0], ": 24 problems:") || lines[11] != "  ... and 14 more (--json lists all)" {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	last := -1
	for _, l := range lines[1:11] {
		if n := layerNumber(l); n < last {
			t.Errorf("problems not ordered by layer: %q after layer %d", l, last)
		} else {
			last = n
		}
	}
	r = ct2go(t, nil, "inspect", in, "--json")
	var res struct {
		Problems []string `json:"problems"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || len(res.Problems) != 24 {
		t.Fatalf("--json: %v, %d problems: %s", err, len(res.Problems), r.stdout)
	}
	if !strings.Contains(strings.Join(res.Problems, "\n"), "missing tensor language_model.model.layers.2.cross_attn") {
		t.Errorf("--json problems lack layer 2's: %q", res.Problems)
	}
}

func layerNumber(s string) int {
	i := strings.Index(s, "layers.")
	if i < 0 {
		return -1
	}
	n := 0
	for _, c := range s[i+len("layers."):] {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// TestDryRunExistingOutput: --dry-run warns when the real run would stop.
func TestDryRunExistingOutput(t *testing.T) {
	in := testfix.Path(t, "tiny-mllama")
	out := filepath.Join(t.TempDir(), "out")
	r := ct2go(t, nil, "convert", "--model", in, "--output_dir", out, "--dry-run")
	if r.code != 0 || strings.Contains(r.stderr, "warning") {
		t.Fatalf("free output: exit %d, %q", r.code, r.stderr)
	}
	if r := ct2go(t, nil, "convert", "--model", in, "--output_dir", out, "--quiet"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	r = ct2go(t, nil, "convert", "--model", in, "--output_dir", out, "--dry-run")
	if r.code != 0 || !strings.Contains(r.stderr, "warning: the real run would stop (exit 4)") || !strings.Contains(r.stderr, "--force") {
		t.Errorf("existing output: exit %d, stderr %q", r.code, r.stderr)
	}
	r = ct2go(t, nil, "convert", "--model", in, "--output_dir", out, "--dry-run", "--force")
	if r.code != 0 || strings.Contains(r.stderr, "warning") {
		t.Errorf("existing previous output with --force: exit %d, stderr %q", r.code, r.stderr)
	}
	os.WriteFile(filepath.Join(out, "notes.md"), nil, 0o644)
	r = ct2go(t, nil, "convert", "--model", in, "--output_dir", out, "--dry-run", "--force", "--json")
	var plan map[string]any
	json.Unmarshal([]byte(r.stdout), &plan)
	if w, _ := plan["would_stop"].(string); r.code != 0 || !strings.Contains(w, "notes.md") || !strings.Contains(r.stderr, "--force twice") {
		t.Errorf("foreign file, one --force: exit %d, would_stop %q, stderr %q", r.code, plan["would_stop"], r.stderr)
	}
}

// TestForceReplaces: one --force replaces a previous output or an empty
// directory; a directory with other files needs --force twice (convert and strip).
func TestForceReplaces(t *testing.T) {
	in := testfix.Path(t, "tiny-mllama")
	for _, cmd := range []string{"convert", "strip"} {
		t.Run(cmd, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			os.Mkdir(out, 0o755)
			args := []string{cmd, "--model", in, "--output_dir", out, "--quiet"}
			if r := ct2go(t, nil, append(args, "--force")...); r.code != 0 {
				t.Fatalf("empty directory, --force: exit %d: %s", r.code, r.stderr)
			}
			if r := ct2go(t, nil, append(args, "--force")...); r.code != 0 {
				t.Fatalf("previous output, --force: exit %d: %s", r.code, r.stderr)
			}
			os.Mkdir(filepath.Join(out, "sub"), 0o755)
			if r := ct2go(t, nil, append(args, "--force")...); r.code != exitExists || !strings.Contains(r.stderr, "holds sub") {
				t.Fatalf("foreign subdirectory, --force: exit %d: %s", r.code, r.stderr)
			}
			if r := ct2go(t, nil, append(args, "--force", "--force")...); r.code != 0 {
				t.Fatalf("--force --force: exit %d: %s", r.code, r.stderr)
			}
			if _, err := os.Stat(filepath.Join(out, "sub")); err == nil {
				t.Error("--force --force kept the old directory")
			}
		})
	}
}

// TestSynthTokenizer runs synth only with --dry-run (a real run writes
// 16-21 GB), from a binary and a working directory under a scratch root,
// so no fixture elsewhere on the machine can be found by accident.
func TestSynthTokenizer(t *testing.T) {
	root := t.TempDir()
	bin := filepath.Join(root, "repo", "bin", "ct2go")
	cwd := filepath.Join(root, "repo", "cmd", "ct2go")
	os.MkdirAll(cwd, 0o755)
	os.MkdirAll(filepath.Dir(bin), 0o755)
	if b, err := os.ReadFile(binPath); err != nil || os.WriteFile(bin, b, 0o755) != nil {
		t.Fatal(err)
	}
	synthRun := func(args ...string) result {
		cmd := exec.Command(bin, append([]string{"synth", "--preset", "llama-3.2-11b-vision", "--dry-run"}, args...)...)
		cmd.Dir = cwd
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return result{code, out.String(), errb.String()}
	}
	out := filepath.Join(root, "synth")
	// No --tokenizer and no fixture beside the scratch repository: a usage error naming the way out.
	r := synthRun("--output_dir", out)
	if r.code != exitUsage || !strings.Contains(r.stderr, "--tokenizer DIR") || !strings.Contains(r.stderr, "tokenizer.json") ||
		!strings.Contains(r.stderr, filepath.Join(root, "shared", "fixtures", "tiny-mllama")) {
		t.Errorf("no tokenizer: exit %d, %q", r.code, r.stderr)
	}
	r = synthRun("--output_dir", out, "--tokenizer", cwd)
	if r.code != exitUsage || !strings.Contains(r.stderr, "--tokenizer: tokenizer directory "+cwd+": no tokenizer.json") {
		t.Errorf("bad --tokenizer: exit %d, %q", r.code, r.stderr)
	}
	// The fixture beside the repository is found from the executable and from the working directory.
	fix := filepath.Join(root, "shared", "fixtures", "tiny-mllama")
	os.MkdirAll(fix, 0o755)
	for _, f := range synth.TokenizerFiles {
		os.WriteFile(filepath.Join(fix, f), []byte("x"), 0o644)
	}
	r = synthRun("--output_dir", out)
	if r.code != 0 || !strings.Contains(r.stdout, "would write "+out) || !strings.Contains(r.stdout, "from "+fix) {
		t.Errorf("fixture beside the repository: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("synth --dry-run wrote its output")
	}
	for _, c := range []struct{ exe, cwd string }{
		{bin, "/"},
		{"/usr/local/bin/ct2go", filepath.Join(root, "repo")},
		{"", cwd},
	} {
		if got, tried := findTokenizerDir(c.exe, c.cwd); got != fix {
			t.Errorf("exe %s, cwd %s: found %q (tried %q), want %s", c.exe, c.cwd, got, tried, fix)
		}
	}
	if got, tried := findTokenizerDir(filepath.Join(root, "a", "b", "c", "ct2go"), filepath.Join(root, "a", "b", "c", "d")); got != "" {
		t.Errorf("found %s (tried %q)", got, tried)
	}
	os.Remove(filepath.Join(fix, "NOTICE"))
	if err := synth.CheckTokenizer(fix); err == nil || !strings.Contains(err.Error(), "no NOTICE") {
		t.Errorf("CheckTokenizer without NOTICE: %v", err)
	}
}

func TestSynthFreeSpace(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not", "yet")
	var ns *synth.NoSpaceError
	if err := synth.CheckFreeSpace(dir, 1<<62); !errors.As(err, &ns) || ns.Free <= 0 || !strings.Contains(err.Error(), "GB free") {
		t.Errorf("CheckFreeSpace(4 EiB) = %v", err)
	}
	if err := synth.CheckFreeSpace(dir, 1<<20); err != nil {
		t.Errorf("CheckFreeSpace(1 MiB) = %v", err)
	}
}

// TestHelpLayout walks every command's --help (flags added later included):
// exit 0, lines of at most 100 columns, no doubled "(default: ...)".
func TestHelpLayout(t *testing.T) {
	runs := [][]string{{"--help"}, {"help"}}
	for _, c := range newApp().Commands {
		runs = append(runs, []string{c.Name, "--help"}, []string{"help", c.Name})
	}
	for _, args := range runs {
		r := ct2go(t, nil, args...)
		if r.code != 0 || r.stdout == "" {
			t.Errorf("%q: exit %d, stderr %q", args, r.code, r.stderr)
			continue
		}
		sc := bufio.NewScanner(strings.NewReader(r.stdout))
		entry := ""
		for sc.Scan() {
			line := sc.Text()
			if n := utf8.RuneCountInString(line); n > helpWidth {
				t.Errorf("%q: %d columns: %q", args, n, line)
			}
			if strings.HasPrefix(line, "  -") { // a new flag entry
				entry = ""
			}
			entry += line
			if strings.Count(entry, "(default") > 1 {
				t.Errorf("%q: doubled default in %q", args, entry)
			}
		}
	}
}

func TestVersion(t *testing.T) {
	r := ct2go(t, nil, "--version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "ct2go version ") || !strings.Contains(r.stdout, "go1.") {
		t.Errorf("--version: exit %d, %q", r.code, r.stdout)
	}
	// The Makefile links the revision in when the build info has no VCS stamp.
	bin := filepath.Join(t.TempDir(), "ct2go")
	if out, err := exec.Command("go", "build", "-ldflags", "-X main.revision=0123abcd", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	out, _ := exec.Command(bin, "--version").Output()
	if !strings.Contains(string(out), " revision ") {
		t.Errorf("--version of a build with a revision: %q", out)
	}
}

// TestStalePartials kills conversions with SIGKILL: their partial output
// stays, and the next run into the same parent removes it (saying so in one
// line) but leaves the partial output of a run still going alone.
func TestStalePartials(t *testing.T) {
	in := testfix.Path(t, "tiny-mllama")
	parent := t.TempDir()
	start := func(name string) (*exec.Cmd, string) {
		cmd := exec.Command(binPath, "convert", "--model", in, "--output_dir", filepath.Join(parent, name), "--quiet")
		cmd.Env = append(os.Environ(), "CT2GO_FAULT=slow:100ms")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			m, _ := filepath.Glob(filepath.Join(parent, "."+name+".partial-*", convert.PartialLock))
			if len(m) == 1 {
				return cmd, filepath.Dir(m[0])
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("no locked partial output for %s", name)
		return nil, ""
	}
	killed, deadDir := start("a")
	killed.Process.Signal(syscall.SIGKILL)
	killed.Wait()
	if _, err := os.Stat(deadDir); err != nil {
		t.Fatalf("the killed run's partial output is gone already: %v", err)
	}
	live, liveDir := start("b")
	r := ct2go(t, nil, "convert", "--model", in, "--output_dir", filepath.Join(parent, "c"), "--quiet")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if _, err := os.Stat(deadDir); err == nil {
		t.Error("the stale partial output was not removed")
	}
	if _, err := os.Stat(liveDir); err != nil {
		t.Errorf("the running conversion's partial output was removed: %v", err)
	}
	_ = live
	// --quiet keeps the note off; without it, one line names what went.
	killed2, dead2 := start("d")
	killed2.Process.Signal(syscall.SIGKILL)
	killed2.Wait()
	r = ct2go(t, nil, "strip", "--model", in, "--output_dir", filepath.Join(parent, "e"))
	if r.code != 0 || !strings.Contains(r.stderr, "note: removed 1 partial output(s) of killed runs in "+parent+": "+filepath.Base(dead2)+" (pid ") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(liveDir); err != nil {
		t.Errorf("the running conversion's partial output was removed: %v", err)
	}
	if reflect.DeepEqual(dead2, liveDir) {
		t.Fatal("test confusion")
	}
}
