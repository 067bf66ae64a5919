package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ct2go/ct2go/generate"
)

func TestMultiLine(t *testing.T) {
	t.Parallel()
	cases := []struct {
		lines []string
		want  []string // the messages completed, in order
	}{
		{[]string{"hello"}, []string{"hello"}},
		{[]string{`one \`, "two"}, []string{"one \ntwo"}},
		{[]string{`a\`, `b\`, "c", "d"}, []string{"a\nb\nc", "d"}},
		{[]string{`"""`, "x", `y\`, `z"""`, "after"}, []string{"x\ny\\\nz", "after"}},
		{[]string{`"""first`, `last"""`}, []string{"first\nlast"}},
		{[]string{`"""inline"""`}, []string{"inline"}},
		{[]string{`""""""`}, []string{""}},
		{[]string{`"""`, `"""`}, []string{""}},
		{[]string{`say """hi"""`}, []string{`say """hi"""`}},
	}
	for _, c := range cases {
		var ml multiLine
		var got []string
		for _, l := range c.lines {
			if msg, done := ml.add(l); done {
				got = append(got, msg)
			}
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") || ml.pending() {
			t.Errorf("%q: messages %q (pending %v), want %q", c.lines, got, ml.pending(), c.want)
		}
	}
}

func TestSpeedLine(t *testing.T) {
	t.Parallel()
	cases := []struct {
		res  generate.Result
		want string
	}{
		{generate.Result{PromptTokens: 5, PrefillSeconds: 0.5, Finish: "stop"},
			"0 tokens (prompt: 5 tokens in 0.500s, 10.0 tok/s); finish: stop"},
		{generate.Result{IDs: []int{7}, PromptTokens: 1, PrefillSeconds: 0.25, Finish: "length"},
			"1 token in 0.250s (prompt: 1 token in 0.250s, 4.0 tok/s); finish: length"},
		{generate.Result{IDs: []int{7, 8, 9}, PromptTokens: 2, PrefillSeconds: 0.5, DecodeSeconds: 1, Finish: "length"},
			"3 tokens in 1.500s, 2.0 tok/s (prompt: 2 tokens in 0.500s, 4.0 tok/s); finish: length"},
		{generate.Result{Finish: "interrupted", PromptTokens: 3},
			"0 tokens (prompt: 3 tokens); finish: interrupted"},
	}
	for _, c := range cases {
		if got := speedLine(&c.res); got != c.want {
			t.Errorf("speedLine = %q, want %q", got, c.want)
		}
	}
}

// proc is a running ct2go whose output is collected as it comes.
type proc struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	out   bytes.Buffer // stdout (or the terminal)
	err   bytes.Buffer
	stdin io.WriteCloser
	done  chan struct{}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func startProc(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(binPath, args...), done: make(chan struct{})}
	p.cmd.Stdout = lockedWriter{&p.mu, &p.out}
	p.cmd.Stderr = lockedWriter{&p.mu, &p.err}
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.cmd.Process.Kill(); <-p.done })
	return p
}

func (p *proc) snapshot() (string, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String(), p.err.String()
}

// waitFor polls until cond holds on (stdout, stderr), failing after 60 s.
func (p *proc) waitFor(t *testing.T, what string, cond func(out, errs string) bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond(p.snapshot()) {
			return
		}
	}
	out, errs := p.snapshot()
	t.Fatalf("timed out waiting for %s\nstdout: %q\nstderr: %q", what, out, errs)
}

func (p *proc) exitCode(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		t.Fatal("ct2go did not exit")
	}
	return p.cmd.ProcessState.ExitCode()
}

// TestRunInterrupt: Ctrl-C while generating stops the answer: exit 130,
// the text so far and the stats printed, and no word of removed output
// (run writes no files).
func TestRunInterrupt(t *testing.T) {
	t.Parallel()
	dir := convertedModel(t, "float32", false)
	p := startProc(t, "run", "--model", dir, "--prompt", "Hello", "-n", "20000")
	p.waitFor(t, "generated text", func(out, _ string) bool { return len(out) > 20 })
	p.cmd.Process.Signal(os.Interrupt)
	if code := p.exitCode(t); code != 130 {
		t.Errorf("exit %d, want 130", code)
	}
	out, errs := p.snapshot()
	if strings.Contains(errs, "temporary output") || strings.Contains(errs, "ct2go:") || !strings.Contains(errs, "finish: interrupted") || !strings.HasSuffix(out, "\n") {
		t.Errorf("stdout %q\nstderr %q", out, errs)
	}
}

// TestRunInteractiveCtrlC (stdin a pipe): Ctrl-C stops an answer and the
// chat goes on; Ctrl-C at the prompt exits at once with 130.
func TestRunInteractiveCtrlC(t *testing.T) {
	t.Parallel()
	dir := convertedModel(t, "float32", false)
	p := startProc(t, "run", "--model", dir, "-i", "-n", "20000", "--context", "20100")
	io.WriteString(p.stdin, "Hello\n")
	p.waitFor(t, "an answer", func(out, _ string) bool { return len(out) > 20 })
	p.cmd.Process.Signal(os.Interrupt)
	p.waitFor(t, "the interrupted answer's stats", func(_, errs string) bool {
		return strings.Contains(errs, "finish: interrupted")
	})
	io.WriteString(p.stdin, "/context\n/exit\n")
	if code := p.exitCode(t); code != 0 {
		_, errs := p.snapshot()
		t.Fatalf("exit %d after /exit: %s", code, errs)
	}
	_, errs := p.snapshot()
	if !strings.Contains(errs, "context: ") || !strings.Contains(errs, "(1 turn)") {
		t.Errorf("the interrupted turn was not kept: %s", errs)
	}

	// SIGTERM mid-answer ends the answer and the program.
	p = startProc(t, "run", "--model", dir, "-i", "-n", "20000", "--context", "20100")
	io.WriteString(p.stdin, "Hello\n")
	p.waitFor(t, "an answer", func(out, _ string) bool { return len(out) > 20 })
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.exitCode(t); code != 130 {
		t.Errorf("SIGTERM: exit %d, want 130", code)
	}
	if _, errs := p.snapshot(); !strings.Contains(errs, "finish: interrupted") || strings.Contains(errs, "ct2go:") {
		t.Errorf("SIGTERM: stderr %q", errs)
	}

	p = startProc(t, "run", "--model", dir, "-i")
	p.waitFor(t, "the prompt", func(_, errs string) bool { return strings.HasSuffix(errs, ">>> ") })
	p.cmd.Process.Signal(os.Interrupt)
	if code := p.exitCode(t); code != 130 {
		t.Errorf("Ctrl-C at the prompt: exit %d, want 130", code)
	}
	if _, errs := p.snapshot(); strings.Contains(errs, "ct2go:") {
		t.Errorf("stderr %q", errs)
	}
}

// TestRunInteractiveCommands: slash commands are handled locally, multi-line
// input makes one message, // sends a text starting with /.
func TestRunInteractiveCommands(t *testing.T) {
	t.Parallel()
	dir := convertedModel(t, "float32", false)
	in := strings.Join([]string{
		"/help", "/system", "/system Be brief.", "/system", "/context",
		`Hello \`, "there", // one message
		`"""`, "a", "b", `"""`, // one message
		"//not a command", // one message
		"/context", "/nonsense", "/clear", "/context", "/exit", "never read",
	}, "\n") + "\n"
	r := ct2goStdin(t, in, "run", "--model", dir, "-i", "-n", "4")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	replies := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	for _, want := range []string{
		"/clear", "no system prompt", "system prompt set", "system prompt: Be brief.",
		"(0 turns)", "(3 turns)", "unknown command /nonsense", "new conversation",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if len(replies) != 3 || strings.Count(r.stderr, "finish: length") != 3 || strings.Count(r.stderr, "(0 turns)") != 2 {
		t.Errorf("want 3 answers: stdout %q\nstderr %s", r.stdout, r.stderr)
	}
}

// TestRunContextFull: a small context drops the oldest turns and says so.
func TestRunContextFull(t *testing.T) {
	t.Parallel()
	dir := convertedModel(t, "float32", false)
	in := "first message\nsecond message\nthird message\nfourth message\n/context\n"
	r := ct2goStdin(t, in, "run", "--model", dir, "-i", "-n", "16", "--context", "100", "--system", "Be brief.")
	if r.code != 0 || strings.Count(r.stderr, "finish: length") != 4 || !strings.Contains(r.stderr, "context full: dropped the oldest turn (the system prompt stays)") {
		t.Errorf("exit %d\nstderr %s", r.code, r.stderr)
	}
	long := strings.Repeat("word ", 80) + "\n"
	r = ct2goStdin(t, long, "run", "--model", dir, "-i", "-n", "16", "--context", "60")
	if r.code != 0 || !strings.Contains(r.stderr, "the context has 60: message ignored") {
		t.Errorf("too long: exit %d\nstderr %s", r.code, r.stderr)
	}
}

func ct2goStdin(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Stdin = strings.NewReader(stdin)
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

func TestTermInputRewrites(t *testing.T) {
	t.Parallel()
	in := "a\x1b[1~b\x1b[4~\x1bOA\x1b[7~\x1b[8~\x1bOH\x1bOF\x1bOD\x1b[C\x03"
	want := "a\x1b[Hb\x1b[F\x1b[A\x1b[H\x1b[F\x1b[H\x1b[F\x1b[D\x1b[C\x03"
	w := &termInput{r: strings.NewReader(in)}
	buf := make([]byte, 64)
	n, _ := w.Read(buf)
	if string(buf[:n]) != want || !w.hit.Load() {
		t.Errorf("read %q (Ctrl-C %v), want %q", buf[:n], w.hit.Load(), want)
	}
	w = &termInput{r: strings.NewReader("plain")}
	if n, _ := w.Read(buf); string(buf[:n]) != "plain" || w.hit.Load() {
		t.Errorf("read %q", buf[:n])
	}
}
