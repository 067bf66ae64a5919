package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/ct2go/ct2go/internal/testfix"
)

type ct2Prompt struct {
	InputIDs  []int `json:"input_ids"`
	GreedyIDs []int `json:"greedy_ids"`
}

// ct2Results reads reference/ct2-cpu/results.json: CTranslate2's 16 greedy ids per model and prompt.
func ct2Results(t *testing.T) map[string]map[string]ct2Prompt {
	t.Helper()
	raw, err := os.ReadFile(testfix.Path(t, "reference", "ct2-cpu", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Results map[string]struct {
			Prompts map[string]ct2Prompt `json:"prompts"`
		} `json:"results"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]ct2Prompt{}
	for model, r := range f.Results {
		out[model] = r.Prompts
	}
	return out
}

func joinIDs(ids []int) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ",")
}

// runJSONCmd runs `ct2go run --json args...` (safe to call from any goroutine).
func runJSONCmd(args ...string) (runJSON, error) {
	cmd := exec.Command(binPath, append([]string{"run", "--json"}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	var res runJSON
	if err := cmd.Run(); err != nil {
		return res, fmt.Errorf("run %v: %v: %s", args, err, errb.String())
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return res, fmt.Errorf("run --json: %v\n%s", err, out.String())
	}
	return res, nil
}

func runJSONOut(t *testing.T, args ...string) runJSON {
	t.Helper()
	out, err := runJSONCmd(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func prefixMatch(a, b []int) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// TestRunGreedyMatchesCT2: `ct2go run --ids ... --max_tokens 16 --json`
// reproduces CTranslate2's generate_batch greedy ids on the float32 models
// (with and without the llama3 RoPE scalars); int8 agreement is reported.
func TestRunGreedyMatchesCT2(t *testing.T) {
	t.Parallel()
	res := ct2Results(t)
	models := []struct {
		key    string
		quant  string
		compat bool
		exact  bool
	}{
		{"ct2go/float32", "float32", false, true},
		{"ct2-compat/float32", "float32", true, true},
		{"ct2go/int8_float16", "int8_float16", false, false},
	}
	for _, m := range models {
		dir := convertedModel(t, m.quant, m.compat)
		prompts := res[m.key]
		if len(prompts) != 4 {
			t.Fatalf("%s: %d prompts in results.json", m.key, len(prompts))
		}
		names := make([]string, 0, len(prompts))
		for n := range prompts {
			names = append(names, n)
		}
		sort.Strings(names)
		// One process per prompt, run concurrently (each is mostly start-up).
		outs := make([]runJSON, len(names))
		errs := make([]error, len(names))
		var wg sync.WaitGroup
		for i, name := range names {
			wg.Add(1)
			go func() {
				defer wg.Done()
				outs[i], errs[i] = runJSONCmd("--model", dir, "--ids", joinIDs(prompts[name].InputIDs), "--max_tokens", "16")
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		agree, total := 0, 0
		var summary []string
		for i, name := range names {
			p, out := prompts[name], outs[i]
			n := prefixMatch(out.IDs, p.GreedyIDs)
			agree += n
			total += len(p.GreedyIDs)
			summary = append(summary, fmt.Sprintf("%s %d/16", name, n))
			if m.exact && (len(out.IDs) != 16 || n != 16) {
				t.Errorf("%s %s: ids %v, CTranslate2 %v", m.key, name, out.IDs, p.GreedyIDs)
			}
			if out.Finish != "length" || out.TokensPerSecond <= 0 {
				t.Errorf("%s %s: finish %q tok/s %g", m.key, name, out.Finish, out.TokensPerSecond)
			}
		}
		t.Logf("%s: greedy prefix agreement with CTranslate2 %d/%d (%s)", m.key, agree, total, strings.Join(summary, ", "))
		// int8: activation rounding flips may break near-ties late in a
		// sequence; the first half must agree.
		if !m.exact && agree < total/2 {
			t.Errorf("%s: only %d/%d greedy ids agree with CTranslate2", m.key, agree, total)
		}
	}
}

func TestRunPrompt(t *testing.T) {
	t.Parallel()
	dir := convertedModel(t, "float32", false)
	r := ct2go(t, nil, "run", "--model", dir, "--prompt", "Hello", "--max_tokens", "12", "--seed", "1")
	if r.code != 0 || strings.TrimSpace(r.stdout) == "" {
		t.Fatalf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "12 tokens in") || !strings.Contains(r.stderr, "tok/s") {
		t.Errorf("stderr lacks the token count and tok/s line: %q", r.stderr)
	}
	// The streamed text is the decoded greedy ids (same run as JSON).
	j := runJSONOut(t, "--model", dir, "--prompt", "Hello", "--max_tokens", "12")
	if r.stdout != j.Text+"\n" || len(j.IDs) != 12 {
		t.Errorf("streamed %q, JSON text %q (%d ids)", r.stdout, j.Text, len(j.IDs))
	}
	// Chat template: system + user header, then the assistant header.
	if j.PromptTokens < 20 {
		t.Errorf("chat prompt has %d tokens; the template was not applied?", j.PromptTokens)
	}
	// --raw "Hello, world!" is prompt0 of the fixtures: <|begin_of_text|> Hello , world !
	raw := runJSONOut(t, "--model", dir, "--raw", "--prompt", "Hello, world!", "--max_tokens", "16")
	want := ct2Results(t)["ct2go/float32"]["prompt0"].GreedyIDs
	if raw.PromptTokens != 5 || joinIDs(raw.IDs) != joinIDs(want) {
		t.Errorf("--raw: %d prompt tokens, ids %v; want 5 and %v", raw.PromptTokens, raw.IDs, want)
	}
}

func TestRunSampling(t *testing.T) {
	t.Parallel()
	dir := convertedModel(t, "float32", false)
	args := []string{"--model", dir, "--ids", "128000,9906", "--max_tokens", "12", "--temperature", "1.5", "--top_k", "50", "--top_p", "0.95"}
	a := runJSONOut(t, append(args, "--seed", "7")...)
	b := runJSONOut(t, append(args, "--seed", "7")...)
	c := runJSONOut(t, append(args, "--seed", "8")...)
	g := runJSONOut(t, "--model", dir, "--ids", "128000,9906", "--max_tokens", "12")
	if joinIDs(a.IDs) != joinIDs(b.IDs) {
		t.Errorf("same seed, different ids: %v vs %v", a.IDs, b.IDs)
	}
	if joinIDs(a.IDs) == joinIDs(c.IDs) || joinIDs(a.IDs) == joinIDs(g.IDs) {
		t.Errorf("sampling looks greedy or seed-independent: seed 7 %v, seed 8 %v, greedy %v", a.IDs, c.IDs, g.IDs)
	}
	k1 := runJSONOut(t, "--model", dir, "--ids", "128000,9906", "--max_tokens", "12", "--temperature", "2", "--top_k", "1", "--seed", "3")
	if joinIDs(k1.IDs) != joinIDs(g.IDs) {
		t.Errorf("top_k 1 = %v, greedy %v", k1.IDs, g.IDs)
	}
}

// TestRunStopsAtEOS: with generation_config.json naming the first greedy id
// as eos, generation stops at once; without generation_config.json the
// config.json eos_token (<|eot_id|>) is the stop id.
func TestRunStopsAtEOS(t *testing.T) {
	t.Parallel()
	src := convertedModel(t, "float32", false)
	want := ct2Results(t)["ct2go/float32"]["prompt0"].GreedyIDs
	ids := "128000,9906,11,1917,0"
	dir := linkModel(t, src, map[string][]byte{"generation_config.json": []byte(fmt.Sprintf(`{"eos_token_id": [1, %d]}`, want[3]))})
	out := runJSONOut(t, "--model", dir, "--ids", ids, "--max_tokens", "16")
	if out.Finish != "stop" || joinIDs(out.IDs) != joinIDs(want[:3]) {
		t.Errorf("stop at %d: finish %q ids %v, want stop and %v", want[3], out.Finish, out.IDs, want[:3])
	}
	dir = linkModel(t, src, map[string][]byte{"generation_config.json": []byte(fmt.Sprintf(`{"eos_token_id": %d}`, want[0]))})
	out = runJSONOut(t, "--model", dir, "--ids", ids, "--max_tokens", "16")
	if out.Finish != "stop" || len(out.IDs) != 0 || out.Text != "" {
		t.Errorf("stop at the first token: %+v", out)
	}
	// Fallback: no generation_config.json -> config.json eos_token; random weights never produce it.
	dir = linkModel(t, src, map[string][]byte{"generation_config.json": nil})
	os.Remove(dir + "/generation_config.json")
	out = runJSONOut(t, "--model", dir, "--ids", ids, "--max_tokens", "16")
	if out.Finish != "length" || len(out.IDs) != 16 {
		t.Errorf("without generation_config.json: %+v", out)
	}
	compat := convertedModel(t, "float32", true)
	if r := ct2go(t, nil, "run", "--model", compat, "--ids", ids, "--max_tokens", "1"); r.code != 0 || !strings.Contains(r.stderr, "lacks the llama3 RoPE scalars") {
		t.Errorf("compat model: exit %d, no RoPE warning in %q", r.code, r.stderr)
	}
	bad := linkModel(t, src, map[string][]byte{"generation_config.json": []byte(`{"eos_token_id": "x"}`)})
	if r := ct2go(t, nil, "run", "--model", bad, "--ids", ids); r.code == 0 || !strings.Contains(r.stderr, "generation_config.json: eos_token_id") {
		t.Errorf("bad generation_config: exit %d %q", r.code, r.stderr)
	}
}

func TestRunBadInput(t *testing.T) {
	t.Parallel()
	dir := convertedModel(t, "float32", false)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--model", dir}, "run needs --prompt"},
		{[]string{"--model", dir, "--ids", "1,x"}, `"x" is not a token id`},
		{[]string{"--model", dir, "--ids", "1,999999"}, "id 999999 at position 1 is outside the model's vocabulary of 128256"},
		{[]string{"--model", dir, "--ids", "1", "--prompt", "hi"}, "give the prompt once"},
		{[]string{"--model", dir, "--prompt-file", "x", "--prompt", "hi"}, "give the prompt once"},
		{[]string{"--model", dir, "--ids", "1", "--system", "hi"}, "do not combine"},
		{[]string{"--model", dir, "--prompt", "hi", "--top_k", "5"}, "--top_k shapes sampling and needs --temperature > 0"},
		{[]string{"--model", dir, "--prompt", "hi", "--top_p", "0.9"}, "--top_p shapes sampling and needs --temperature > 0"},
		{[]string{"--model", dir, "--prompt", "hi", "--min_p", "0.1", "--temperature", "0"}, "--min_p shapes sampling and needs --temperature > 0"},
		{[]string{"--model", dir, "--prompt", "hi", "--min_p", "1.5", "--temperature", "1"}, "--min_p must be in [0, 1]"},
		{[]string{"--model", dir, "--prompt", "hi", "--repetition_penalty", "0"}, "--repetition_penalty must be > 0"},
		{[]string{"--model", dir, "--prompt", "hi", "--stop", ""}, "--stop: empty string"},
		{[]string{"--model", dir, "--interactive", "--prompt", "-"}, "--prompt - is not possible"},
		{[]string{"--model", dir, "--prompt", "hi", "--max_tokens", "0"}, "--max_tokens must be at least 1"},
		{[]string{"--model", dir, "--prompt", "hi", "--top_p", "1.5"}, "--top_p in (0, 1]"},
		{[]string{"--model", dir, "--prompt", "hi", "--compute", "fp8"}, "unknown compute type"},
		{[]string{"--model", dir, "--interactive", "--raw"}, "--interactive uses the chat template"},
		{[]string{"--model", dir, "--raw", "--prompt", "<|image|>Describe"}, `token "<|image|>" (id 128256) is outside the model's vocabulary of 128256 tokens`},
	}
	for _, c := range cases {
		r := ct2go(t, nil, append([]string{"run"}, c.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d stderr %q; want 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
	if r := ct2go(t, nil, "run", "--model", t.TempDir(), "--prompt", "hi"); r.code != 1 || !strings.Contains(r.stderr, "model.bin") {
		t.Errorf("missing model: exit %d %q", r.code, r.stderr)
	}
}

func TestRunInteractive(t *testing.T) {
	t.Parallel()
	dir := convertedModel(t, "float32", false)
	cmd := exec.Command(binPath, "run", "--model", dir, "--interactive", "--max_tokens", "6", "--system", "Be brief.")
	cmd.Stdin = strings.NewReader("Hello\n\nHow are you?\n<|image|>what is this\n/reset\nHello\n/exit\nnever read\n")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 replies, got %d: %q\nstderr: %s", len(lines), out.String(), errb.String())
	}
	// Greedy and /reset: the first and third reply answer the same conversation.
	if lines[0] != lines[2] || lines[0] == "" {
		t.Errorf("replies %q", lines)
	}
	if strings.Count(errb.String(), "finish: length") != 3 || !strings.Contains(errb.String(), `token "<|image|>" (id 128256) is outside`) {
		t.Errorf("stderr: %s", errb.String())
	}
	// The second turn reused the cache: only the new messages were prefilled,
	// fewer tokens than the whole rendered conversation.
	var prompts []int
	for _, l := range strings.Split(errb.String(), "\n") {
		var n int
		if i := strings.Index(l, "(prompt: "); i >= 0 {
			fmt.Sscanf(l[i:], "(prompt: %d", &n)
			prompts = append(prompts, n)
		}
	}
	// The third (after /reset, same first message) reuses the cached system
	// prompt and first message.
	if len(prompts) != 3 || prompts[1] >= prompts[0]+6 || prompts[2] >= prompts[0] {
		t.Errorf("prefilled prompt tokens per turn %v: the later turns should reuse the cache", prompts)
	}
}

// TestRunPromptSources: --prompt -, --prompt-file and --prompt give the
// same prompt; a missing file is named.
func TestRunPromptSources(t *testing.T) {
	t.Parallel()
	dir := convertedModel(t, "float32", false)
	text := "Hello,\nworld"
	want := runJSONOut(t, "--model", dir, "--prompt", text, "-n", "6")
	file := filepath.Join(t.TempDir(), "prompt.txt")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	fromFile := runJSONOut(t, "--model", dir, "--prompt-file", file, "-n", "6")
	r := ct2goStdin(t, text, "run", "--json", "--model", dir, "--prompt", "-", "-n", "6")
	var fromStdin runJSON
	if err := json.Unmarshal([]byte(r.stdout), &fromStdin); r.code != 0 || err != nil {
		t.Fatalf("--prompt -: exit %d %v %s", r.code, err, r.stderr)
	}
	for name, got := range map[string]runJSON{"--prompt-file": fromFile, "--prompt -": fromStdin} {
		if got.PromptTokens != want.PromptTokens || joinIDs(got.IDs) != joinIDs(want.IDs) {
			t.Errorf("%s: %d prompt tokens, ids %v; --prompt gives %d, %v", name, got.PromptTokens, got.IDs, want.PromptTokens, want.IDs)
		}
	}
	missing := filepath.Join(t.TempDir(), "nope.txt")
	if r := ct2go(t, nil, "run", "--model", dir, "--prompt-file", missing); r.code != 1 || !strings.Contains(r.stderr, missing) {
		t.Errorf("missing prompt file: exit %d %q", r.code, r.stderr)
	}
}

// TestRunStats: the summary line counts right for 0, 1 and many tokens and
// shows a decode rate only when there is one.
func TestRunStats(t *testing.T) {
	t.Parallel()
	src := convertedModel(t, "float32", false)
	ids := "128000,9906,11,1917,0"
	first := ct2Results(t)["ct2go/float32"]["prompt0"].GreedyIDs[0]
	stopAt0 := linkModel(t, src, map[string][]byte{"generation_config.json": []byte(fmt.Sprintf(`{"eos_token_id": %d}`, first))})
	cases := []struct {
		dir, n string
		want   *regexp.Regexp
	}{
		{stopAt0, "4", regexp.MustCompile(`(?m)^0 tokens \(prompt: 5 tokens in [0-9.]+s, [0-9.]+ tok/s\); finish: stop$`)},
		{src, "1", regexp.MustCompile(`(?m)^1 token in [0-9.]+s \(prompt: 5 tokens in [0-9.]+s, [0-9.]+ tok/s\); finish: length$`)},
		{src, "3", regexp.MustCompile(`(?m)^3 tokens in [0-9.]+s, [0-9.]+ tok/s \(prompt: 5 tokens`)},
	}
	for _, c := range cases {
		r := ct2go(t, nil, "run", "--model", c.dir, "--ids", ids, "-n", c.n)
		if r.code != 0 || !c.want.MatchString(r.stderr) {
			t.Errorf("-n %s: exit %d stderr %q, want %s", c.n, r.code, r.stderr, c.want)
		}
	}
}

// TestRunStopString: --stop ends the answer before the string, which is not
// printed (streamed or JSON).
func TestRunStopString(t *testing.T) {
	t.Parallel()
	dir := convertedModel(t, "float32", false)
	full := runJSONOut(t, "--model", dir, "--ids", "128000,9906", "-n", "12")
	// A two-character stop string whose first occurrence is past the start
	// (the flag neither trims spaces nor splits on commas: see stopFlag below).
	stop, cut := "", -1
	for i := range full.Text {
		if i == 0 {
			continue
		}
		rest := []rune(full.Text[i:])
		if len(rest) < 2 {
			break
		}
		s := string(rest[:2])
		if strings.Index(full.Text, s) == i {
			stop, cut = s, i
			break
		}
	}
	if cut < 0 {
		t.Fatalf("no stop string candidate in %q", full.Text)
	}
	j := runJSONOut(t, "--model", dir, "--ids", "128000,9906", "-n", "12", "--stop", "zzzz", "--stop", stop)
	if j.Finish != "stop" || j.Text != full.Text[:cut] || len(j.IDs) >= len(full.IDs) {
		t.Errorf("--stop %q: finish %s text %q (%d ids); want stop and %q", stop, j.Finish, j.Text, len(j.IDs), full.Text[:cut])
	}
	r := ct2go(t, nil, "run", "--model", dir, "--ids", "128000,9906", "-n", "12", "--stop", stop)
	if r.code != 0 || r.stdout != full.Text[:cut]+"\n" {
		t.Errorf("streamed %q, want %q", r.stdout, full.Text[:cut]+"\n")
	}
	var f stopFlag
	for _, s := range []string{`a\nb`, ` x, y `, `\\n\t`} {
		f.Set(s)
	}
	if want := []string{"a\nb", " x, y ", "\\n\t"}; strings.Join(f, "|") != strings.Join(want, "|") {
		t.Errorf("--stop values %q, want %q", f, want)
	}
}

// TestRunPenaltyAndMinP: --repetition_penalty changes greedy decoding
// deterministically; --min_p sampling is reproducible with --seed and
// --min_p 1 is greedy.
func TestRunPenaltyAndMinP(t *testing.T) {
	t.Parallel()
	dir := convertedModel(t, "float32", false)
	base := []string{"--model", dir, "--ids", "128000,9906", "-n", "16"}
	g := runJSONOut(t, base...)
	p1 := runJSONOut(t, append(base, "--repetition_penalty", "1.5")...)
	p2 := runJSONOut(t, append(base, "--repetition_penalty", "1.5")...)
	if joinIDs(p1.IDs) != joinIDs(p2.IDs) || joinIDs(p1.IDs) == joinIDs(g.IDs) {
		t.Errorf("penalty 1.5: %v and %v, greedy %v", p1.IDs, p2.IDs, g.IDs)
	}
	if off := runJSONOut(t, append(base, "--repetition_penalty", "1")...); joinIDs(off.IDs) != joinIDs(g.IDs) {
		t.Errorf("penalty 1 = %v, greedy %v", off.IDs, g.IDs)
	}
	s := append(base, "--temperature", "1.5", "--min_p", "0.05", "--seed", "11")
	a, b := runJSONOut(t, s...), runJSONOut(t, s...)
	if joinIDs(a.IDs) != joinIDs(b.IDs) || joinIDs(a.IDs) == joinIDs(g.IDs) {
		t.Errorf("min_p sampling: %v and %v, greedy %v", a.IDs, b.IDs, g.IDs)
	}
	if m1 := runJSONOut(t, append(base, "--temperature", "1.5", "--min_p", "1", "--seed", "11")...); joinIDs(m1.IDs) != joinIDs(g.IDs) {
		t.Errorf("min_p 1 = %v, greedy %v", m1.IDs, g.IDs)
	}
}

// TestRunWithoutTokenizer: a model directory with only CTranslate2's files
// decodes with vocabulary.json (same text as with tokenizer.json) and says
// which file encoding a prompt needs.
func TestRunWithoutTokenizer(t *testing.T) {
	t.Parallel()
	src := convertedModel(t, "float32", false)
	stock := t.TempDir()
	for _, f := range []string{"model.bin", "config.json", "vocabulary.json"} {
		if err := os.Symlink(filepath.Join(src, f), filepath.Join(stock, f)); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"--ids", "128000,9906,11,1917,0", "-n", "16"}
	want := runJSONOut(t, append([]string{"--model", src}, args...)...)
	got := runJSONOut(t, append([]string{"--model", stock}, args...)...)
	if joinIDs(got.IDs) != joinIDs(want.IDs) || got.Text != want.Text || got.Text == "" {
		t.Errorf("vocabulary.json decoding: %q %v; with tokenizer.json %q %v", got.Text, got.IDs, want.Text, want.IDs)
	}
	r := ct2go(t, nil, append([]string{"run", "--model", stock}, args...)...)
	if r.code != 0 || r.stdout != want.Text+"\n" {
		t.Errorf("streamed %q, want %q", r.stdout, want.Text+"\n")
	}
	for _, extra := range [][]string{{"--prompt", "Hello"}, {"--interactive"}} {
		r := ct2go(t, nil, append([]string{"run", "--model", stock}, extra...)...)
		if r.code != 1 || !strings.Contains(r.stderr, stock+" has no tokenizer.json") || !strings.Contains(r.stderr, "copy tokenizer.json") ||
			strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%v: exit %d %q", extra, r.code, r.stderr)
		}
	}
}
