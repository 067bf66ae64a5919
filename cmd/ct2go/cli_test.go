package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ct2go/ct2go/format/safetensors"
	"github.com/ct2go/ct2go/internal/testfix"
)

var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ct2go-bin-")
	if err != nil {
		panic(err)
	}
	binPath = filepath.Join(dir, "ct2go")
	if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build ct2go: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

func ct2go(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

// copyFixture makes a writable copy of tiny-mllama (symlinks for the big
// unchanged files would let a test modify the shared fixture, so shards are copied).
func copyFixture(t *testing.T) string {
	t.Helper()
	src := testfix.Path(t, "tiny-mllama")
	dst := filepath.Join(t.TempDir(), "tiny-mllama")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(src)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// rewriteShards replaces the fixture copy's weights by one model.safetensors
// holding the tensors edit returns.
func rewriteShards(t *testing.T, dir string, edit func(map[string]safetensors.WriteTensor)) {
	t.Helper()
	ck, err := safetensors.OpenCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	ts := map[string]safetensors.WriteTensor{}
	for _, n := range ck.Names() {
		data := append([]byte(nil), ck.Tensors[n].Bytes()...)
		ten := ck.Tensors[n]
		ts[n] = safetensors.WriteTensor{Name: n, DType: ten.DType, Shape: ten.Shape, NBytes: ten.NBytes,
			Write: func(w io.Writer) error { _, err := w.Write(data); return err }}
	}
	ck.Close()
	edit(ts)
	matches, _ := filepath.Glob(filepath.Join(dir, "model-*.safetensors"))
	for _, m := range append(matches, filepath.Join(dir, safetensors.IndexFile)) {
		os.Remove(m)
	}
	var list []safetensors.WriteTensor
	for _, w := range ts {
		list = append(list, w)
	}
	if err := safetensors.WriteFile(filepath.Join(dir, "model.safetensors"), list, nil); err != nil {
		t.Fatal(err)
	}
}

func editJSON(t *testing.T, path string, edit func(map[string]any)) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// snapshot hashes every file of dir with its mtime, to prove inputs are never modified.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		s := sha256.Sum256(b)
		lines = append(lines, fmt.Sprintf("%s %s %d", p, hex.EncodeToString(s[:]), fi.ModTime().UnixNano()))
		return nil
	})
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// checkErrorLines: a failure prints one "ct2go: " line, or for a checkpoint
// with several problems a "ct2go: DIR: N problems:" line and at most 11
// indented lines (10 problems and "... and N more"); no line is huge.
func checkErrorLines(t *testing.T, stderr string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	switch {
	case !strings.HasPrefix(stderr, "ct2go: ") || !strings.HasSuffix(stderr, "\n"):
		t.Errorf("want a \"ct2go: \" line on stderr, got %q", stderr)
	case len(lines) > 1 && !strings.HasSuffix(lines[0], " problems:"):
		t.Errorf("want one line on stderr (or a list of problems), got %q", stderr)
	case len(lines) > 12:
		t.Errorf("%d lines on stderr, want at most 12: %q", len(lines), stderr)
	}
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, "  ") {
			t.Errorf("problem line %q is not indented", l)
		}
	}
	for _, l := range lines {
		if len(l) > 2100 {
			t.Errorf("a %d-byte line on stderr", len(l))
		}
	}
}

func leftovers(t *testing.T, parent string) []string {
	t.Helper()
	entries, _ := os.ReadDir(parent)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestConvertBadInput(t *testing.T) {
	cases := []struct {
		name     string
		prepare  func(t *testing.T, dir string)
		env      []string
		code     int
		mentions []string
	}{
		{"wrong model_type", func(t *testing.T, d string) {
			editJSON(t, filepath.Join(d, "config.json"), func(m map[string]any) { m["model_type"] = "bert" })
		}, nil, exitUnsupported, []string{"config.json", "model_type bert"}},
		{"config.json missing", func(t *testing.T, d string) { os.Remove(filepath.Join(d, "config.json")) }, nil, exitFailure, []string{"config.json", "no such file"}},
		{"config.json not JSON", func(t *testing.T, d string) { os.WriteFile(filepath.Join(d, "config.json"), []byte("{oops"), 0o644) }, nil, exitFailure, []string{"config.json", "not valid JSON"}},
		{"unsupported rope_type", func(t *testing.T, d string) {
			editJSON(t, filepath.Join(d, "config.json"), func(m map[string]any) {
				m["text_config"].(map[string]any)["rope_scaling"].(map[string]any)["rope_type"] = "yarn"
			})
		}, nil, exitFailure, []string{"rope_scaling type \"yarn\"", "llama3"}},
		{"truncated shard", func(t *testing.T, d string) {
			p := filepath.Join(d, "model-00003-of-00003.safetensors")
			fi, _ := os.Stat(p)
			os.Truncate(p, fi.Size()-1000)
		}, nil, exitFailure, []string{"model-00003-of-00003.safetensors", "truncated"}},
		{"header length past end", func(t *testing.T, d string) {
			p := filepath.Join(d, "model-00002-of-00003.safetensors")
			f, _ := os.OpenFile(p, os.O_WRONLY, 0)
			f.WriteAt([]byte{0xff, 0xff, 0xff, 0x00, 0, 0, 0, 0}, 0)
			f.Close()
		}, nil, exitFailure, []string{"model-00002-of-00003.safetensors", "header length"}},
		{"hostile shard path", func(t *testing.T, d string) {
			editJSON(t, filepath.Join(d, safetensors.IndexFile), func(m map[string]any) {
				m["weight_map"].(map[string]any)["language_model.model.norm.weight"] = "../../etc/passwd"
			})
		}, nil, exitFailure, []string{safetensors.IndexFile, "not a plain file name"}},
		{"missing tensor", func(t *testing.T, d string) {
			rewriteShards(t, d, func(m map[string]safetensors.WriteTensor) {
				delete(m, "language_model.model.layers.4.mlp.up_proj.weight")
			})
		}, nil, exitFailure, []string{"missing tensor", "model.layers.3.mlp.up_proj.weight"}},
		{"missing tensor in a dropped cross layer", func(t *testing.T, d string) {
			rewriteShards(t, d, func(m map[string]safetensors.WriteTensor) {
				delete(m, "language_model.model.layers.8.cross_attn.k_norm.weight")
			})
		}, nil, exitFailure, []string{"missing tensor", "layers.8.cross_attn.k_norm.weight"}},
		{"unexpected tensor", func(t *testing.T, d string) {
			rewriteShards(t, d, func(m map[string]safetensors.WriteTensor) {
				w := m["language_model.model.norm.weight"]
				w.Name = "language_model.model.layers.0.self_attn.extra.weight"
				m[w.Name] = w
			})
		}, nil, exitFailure, []string{"unexpected tensor", "layers.0.self_attn.extra.weight"}},
		{"disk full", nil, []string{"CT2GO_FAULT=enospc:decoder/layer_3/ffn/linear_1/weight"}, exitFailure, []string{"model.bin", "no space left on device"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := copyFixture(t)
			if c.prepare != nil {
				c.prepare(t, in)
			}
			before := snapshot(t, in)
			parent := t.TempDir()
			out := filepath.Join(parent, "out")
			r := ct2go(t, c.env, "convert", "--model", in, "--output_dir", out)
			if r.code != c.code {
				t.Errorf("exit code %d, want %d (stderr: %s)", r.code, c.code, r.stderr)
			}
			checkErrorLines(t, r.stderr)
			for _, m := range c.mentions {
				if !strings.Contains(r.stderr, m) {
					t.Errorf("stderr %q does not mention %q", r.stderr, m)
				}
			}
			if l := leftovers(t, parent); len(l) != 0 {
				t.Errorf("output left behind: %v", l)
			}
			if snapshot(t, in) != before {
				t.Error("input directory was modified")
			}
		})
	}
}

func TestConvertExistingOutput(t *testing.T) {
	in := testfix.Path(t, "tiny-mllama")
	out := filepath.Join(t.TempDir(), "out")
	os.MkdirAll(out, 0o755)
	os.WriteFile(filepath.Join(out, "keep.txt"), []byte("mine"), 0o644)
	r := ct2go(t, nil, "convert", "--model", in, "--output_dir", out, "--quiet")
	if r.code != exitExists || !strings.Contains(r.stderr, "--force") {
		t.Errorf("exit %d, stderr %q; want %d and a hint to use --force", r.code, r.stderr, exitExists)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "keep.txt")); string(b) != "mine" {
		t.Error("existing output was touched")
	}
	// keep.txt is not something a conversion writes: one --force refuses.
	r = ct2go(t, nil, "convert", "--model", in, "--output_dir", out, "--quiet", "--force")
	if r.code != exitExists || !strings.Contains(r.stderr, "keep.txt") || !strings.Contains(r.stderr, "--force twice") {
		t.Errorf("one --force on a foreign directory: exit %d, stderr %q", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "keep.txt")); string(b) != "mine" {
		t.Error("one --force touched a foreign directory")
	}
	r = ct2go(t, nil, "convert", "--model", in, "--output_dir", out, "--quiet", "--force", "--force")
	if r.code != 0 {
		t.Fatalf("--force --force: exit %d: %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "keep.txt")); !os.IsNotExist(err) {
		t.Error("--force kept the old directory's files")
	}
	if _, err := os.Stat(filepath.Join(out, "model.bin")); err != nil {
		t.Error(err)
	}
}

// TestConvertInterrupted delivers SIGINT mid-conversion: exit 130, the
// temporary output removed, no output directory.
func TestConvertInterrupted(t *testing.T) {
	in := testfix.Path(t, "tiny-mllama")
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	cmd := exec.Command(binPath, "convert", "--model", in, "--output_dir", out, "--quiet")
	cmd.Env = append(os.Environ(), "CT2GO_FAULT=slow:30ms")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the temporary output exists, i.e. the conversion is under way.
	deadline := time.Now().Add(30 * time.Second)
	for len(leftovers(t, parent)) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != exitInterrupted {
		t.Fatalf("exit %v, want %d (stderr %q)", err, exitInterrupted, errb.String())
	}
	if l := leftovers(t, parent); len(l) != 0 {
		t.Errorf("left behind after Ctrl-C: %v", l)
	}
	if !strings.Contains(errb.String(), "interrupted") {
		t.Errorf("stderr %q", errb.String())
	}
}

func TestConvertSummaryJSON(t *testing.T) {
	in := testfix.Path(t, "tiny-mllama")
	out := filepath.Join(t.TempDir(), "out")
	r := ct2go(t, nil, "convert", "--model", in, "--output_dir", out, "--json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var s struct {
		Variables int      `json:"variables"`
		PeakRSS   int64    `json:"peak_rss_bytes"`
		Notes     []string `json:"notes"`
		Files     []string `json:"files"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
	}
	if s.Variables != 183 || s.PeakRSS <= 0 {
		t.Errorf("summary %+v", s)
	}
	joined := strings.Join(s.Notes, "\n")
	if !strings.Contains(joined, "<|image|>") || !strings.Contains(joined, "cross-attention layers [3 8]") {
		t.Errorf("notes do not state the vocabulary truncation and dropped layers: %s", joined)
	}
	for _, f := range []string{"LICENSE", "NOTICE", "tokenizer.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s not copied", f)
		}
	}
}

func TestInspect(t *testing.T) {
	r := ct2go(t, nil, "inspect", "--json", testfix.Path(t, "golden", "ct2-compat", "int8_float16", "..", "..", "ct2go", "int8_float16"))
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var m struct {
		Variables []struct{ Name string } `json:"variables"`
		Warnings  []string                `json:"warnings"`
		Vocab     int                     `json:"vocabulary_size"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Variables) != 183 || m.Vocab != 128256 || len(m.Warnings) != 0 {
		t.Errorf("inspect golden: %d variables, vocab %d, warnings %v", len(m.Variables), m.Vocab, m.Warnings)
	}
	// A --ct2-compat conversion lacks the llama3 scalars: inspect says so.
	out := filepath.Join(t.TempDir(), "compat")
	if r := ct2go(t, nil, "convert", "--model", testfix.Path(t, "tiny-mllama"), "--output_dir", out, "--ct2-compat", "--quiet"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	r = ct2go(t, nil, "inspect", out)
	if r.code != 0 || !strings.Contains(r.stderr, "fix-rope") {
		t.Errorf("inspect of a ct2-compat model: exit %d, stderr %q; want a fix-rope warning", r.code, r.stderr)
	}
	// A truncated model.bin is an error, not a panic.
	bad := filepath.Join(t.TempDir(), "model.bin")
	b, _ := os.ReadFile(filepath.Join(out, "model.bin"))
	os.WriteFile(bad, b[:len(b)/2], 0o644)
	r = ct2go(t, nil, "inspect", bad)
	if r.code != exitFailure || !strings.Contains(r.stderr, "model.bin") || strings.Contains(r.stderr, "panic") {
		t.Errorf("truncated model.bin: exit %d, stderr %q", r.code, r.stderr)
	}
	// An HF checkpoint.
	r = ct2go(t, nil, "inspect", testfix.Path(t, "tiny-mllama"))
	if r.code != 0 || !strings.Contains(r.stdout, "mllama checkpoint") {
		t.Errorf("inspect HF: exit %d, %s", r.code, r.stderr)
	}
}

func TestFixRopeCommand(t *testing.T) {
	in := testfix.Path(t, "tiny-mllama")
	out := filepath.Join(t.TempDir(), "compat")
	if r := ct2go(t, nil, "convert", "--model", in, "--output_dir", out, "--ct2-compat", "--quiet", "--quantization", "int8_float16"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if r := ct2go(t, nil, "fix-rope", "--model", out); r.code != exitUsage {
		t.Errorf("fix-rope without values: exit %d, want %d", r.code, exitUsage)
	}
	if r := ct2go(t, nil, "fix-rope", "--model", out, "--from-config", in); r.code != 0 {
		t.Fatalf("fix-rope: %d %s", r.code, r.stderr)
	}
	b, _ := os.ReadFile(filepath.Join(out, "model.bin"))
	golden, _ := os.ReadFile(testfix.Path(t, "golden", "ct2go", "int8_float16", "model.bin"))
	if !bytes.Equal(b, golden) {
		t.Error("fix-rope output differs from the default conversion")
	}
	if r := ct2go(t, nil, "fix-rope", "--model", out, "--factor", "8", "--original-max-position-embeddings", "8192"); r.code != 0 || !strings.Contains(r.stderr, "nothing to do") {
		t.Errorf("second fix-rope: %d %q", r.code, r.stderr)
	}
}

// TestConvertHubIDOffline: with HF_HUB_CACHE holding a huggingface_hub-style
// cache of the fixture and HF_HUB_OFFLINE=1, `convert --model org/name`
// gives the same bytes as converting the directory.
func TestConvertHubIDOffline(t *testing.T) {
	src := testfix.Path(t, "tiny-mllama")
	cache := t.TempDir()
	repo := filepath.Join(cache, "models--acme--tiny-vision")
	commit := "0123456789abcdef0123456789abcdef01234567"
	snap := filepath.Join(repo, "snapshots", commit)
	for _, d := range []string{filepath.Join(repo, "blobs"), filepath.Join(repo, "refs"), snap} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(src)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		blob := hex.EncodeToString(sum[:])
		if err := os.WriteFile(filepath.Join(repo, "blobs", blob), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join("..", "..", "blobs", blob), filepath.Join(snap, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(repo, "refs", "main"), []byte(commit), 0o644)
	out := filepath.Join(t.TempDir(), "out")
	env := []string{"HF_HUB_CACHE=" + cache, "HF_HUB_OFFLINE=1", "HF_ENDPOINT=http://127.0.0.1:9"}
	if r := ct2go(t, env, "convert", "--model", "acme/tiny-vision", "--output_dir", out, "--quiet"); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	golden := testfix.Path(t, "golden", "ct2go", "int8_float16")
	for _, f := range []string{"model.bin", "config.json", "vocabulary.json"} {
		a, _ := os.ReadFile(filepath.Join(out, f))
		b, _ := os.ReadFile(filepath.Join(golden, f))
		if !bytes.Equal(a, b) {
			t.Errorf("%s from the hub id differs from the golden conversion", f)
		}
	}
	// A revision that is not in the cache, offline: one clear line, no network.
	r := ct2go(t, env, "convert", "--model", "acme/tiny-vision@v2", "--output_dir", filepath.Join(t.TempDir(), "x"), "--quiet")
	if r.code == 0 || !strings.Contains(r.stderr, "acme/tiny-vision") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("offline miss: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestBenchCommand(t *testing.T) {
	r := ct2go(t, nil, "bench", "--model", testfix.Path(t, "golden", "ct2go", "int8_float16"), "--prompt-tokens", "8", "--new-tokens", "4", "--bandwidth-mib", "64", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var b struct {
		Prefill   float64 `json:"prefill_tok_per_sec"`
		Decode    float64 `json:"decode_tok_per_sec"`
		Bandwidth float64 `json:"bandwidth_gb_per_sec"`
		Bytes     int64   `json:"weight_bytes_per_token"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &b); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	if !(b.Prefill > 0 && b.Decode > 0 && b.Bandwidth > 0 && b.Bytes > 0) {
		t.Errorf("bench result %+v", b)
	}
}

func TestTokenizeCommands(t *testing.T) {
	dir := testfix.Path(t, "tiny-mllama")
	r := ct2go(t, nil, "tokenize", "--model", dir, "--json", "Hello, world!")
	var res struct {
		IDs    []int    `json:"ids"`
		Tokens []string `json:"tokens"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &res) != nil {
		t.Fatalf("tokenize: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if fmt.Sprint(res.IDs) != "[128000 9906 11 1917 0]" || res.Tokens[3] != "Ġworld" {
		t.Errorf("tokenize Hello, world! = %v %q", res.IDs, res.Tokens)
	}
	// stdin is taken verbatim: the trailing newline is a token.
	cmd := exec.Command(binPath, "tokenize", "--model", dir, "--json", "--no-special", "-")
	cmd.Stdin = strings.NewReader("Hi\n")
	out, err := cmd.Output()
	if err != nil || json.Unmarshal(out, &res) != nil || len(res.IDs) != 2 || res.Tokens[1] != "Ċ" {
		t.Errorf("tokenize from stdin: %v %s", err, out)
	}
	r = ct2go(t, nil, "detokenize", "--model", dir, "128000", "9906,11", "1917", "0")
	if r.code != 0 || r.stdout != "<|begin_of_text|>Hello, world!\n" {
		t.Errorf("detokenize: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = ct2go(t, nil, "detokenize", "--model", dir, "--skip-special", "128000", "9906")
	if r.stdout != "Hello\n" {
		t.Errorf("detokenize --skip-special: %q", r.stdout)
	}
	if r = ct2go(t, nil, "detokenize", "--model", dir, "999999"); r.code == 0 {
		t.Error("detokenize of an id outside the vocabulary succeeded")
	}
	cmd = exec.Command(binPath, "tokenize", "--model", dir, "--chat", "--json", "-")
	cmd.Stdin = strings.NewReader(`{"messages":[{"role":"user","content":"Hi"}],"add_generation_prompt":true,"date_string":"26 Nov 2026"}`)
	out, err = cmd.Output()
	var chat struct {
		Text string `json:"text"`
		IDs  []int  `json:"ids"`
	}
	if err != nil || json.Unmarshal(out, &chat) != nil {
		t.Fatalf("tokenize --chat: %v %s", err, out)
	}
	if !strings.HasPrefix(chat.Text, "<|begin_of_text|><|start_header_id|>system") || !strings.HasSuffix(chat.Text, "<|start_header_id|>assistant<|end_header_id|>\n\n") ||
		!strings.Contains(chat.Text, "Today Date: 26 Nov 2026") || chat.IDs[0] != 128000 || chat.IDs[1] != 128006 {
		t.Errorf("chat render: %q %v", chat.Text, chat.IDs[:2])
	}
}
