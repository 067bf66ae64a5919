package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

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

// openPTY opens a pseudo-terminal pair (/dev/ptmx, then its /dev/pts/N).
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetWinsize(int(s.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 40, Col: 200}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}

// startTTY runs ct2go with a terminal as stdin, stdout and stderr (its
// controlling terminal, so Ctrl-C typed there is SIGINT when not raw).
func startTTY(t *testing.T, args ...string) (*proc, *os.File, *os.File) {
	t.Helper()
	master, slave := openPTY(t)
	p := &proc{cmd: exec.Command(binPath, args...), done: make(chan struct{})}
	p.cmd.Stdin, p.cmd.Stdout, p.cmd.Stderr = slave, slave, slave
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go io.Copy(lockedWriter{&p.mu, &p.out}, master)
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.cmd.Process.Kill(); <-p.done })
	return p, master, slave
}

// TestRunTerminal drives the REPL through a pseudo-terminal like a user:
// line editing (Ctrl-A, arrows, Ctrl-E, Ctrl-U), history (Up), Ctrl-C
// during an answer, Ctrl-D to leave; the terminal is left in cooked mode.
func TestRunTerminal(t *testing.T) {
	t.Parallel()
	dir := convertedModel(t, "float32", false)
	p, tty, slave := startTTY(t, "run", "--model", dir, "-i", "-n", "20000", "--context", "20200")
	seen := func(s string, n int) func(string, string) bool {
		return func(out, _ string) bool { return strings.Count(out, s) >= n }
	}
	type step struct {
		keys      string
		what      string
		wait      string
		waitCount int
	}
	steps := []step{
		{"", "the prompt", ">>> ", 1},
		// "/sys abc", Ctrl-A, 4 x Right, "tem", Enter -> "/system abc"
		{"/sys abc\x01\x1b[C\x1b[C\x1b[C\x1b[Ctem\r", "/system set by editing", "system prompt set", 1},
		// "xyz", Ctrl-U erases it, "/system" shows the prompt
		{"xyz\x15/system\r", "Ctrl-U", "system prompt: abc\r\n", 1},
		// Up twice recalls "/system abc", Home (tmux's ESC [ 1 ~), Ctrl-E, " def"
		{"\x1b[A\x1bOA\x1b[1~\x05 def\r", "history", "system prompt set", 2},
		// Ctrl-A, Right, End (ESC [ 4 ~), Left x4, Ctrl-K cuts " def": history holds both lines
		{"\x1b[A\x01\x1b[C\x1b[4~\x1b[D\x1b[D\x1b[D\x1b[D\x0b\r", "Ctrl-K", "system prompt set", 3},
		{"/system\r", "the edited line", "system prompt: abc\r\n", 2},
		{"\x1b[A\x1b[A\x1b[A\r", "the third line back", "system prompt set", 4},
		{"/system\r", "the edited history line", "system prompt: abc def\r\n", 1},
	}
	for _, s := range steps {
		if s.keys != "" {
			io.WriteString(tty, s.keys)
		}
		p.waitFor(t, s.what, seen(s.wait, s.waitCount))
	}
	// A pasted paragraph (bracketed paste) is one message, sent with Enter.
	p.waitFor(t, "bracketed paste mode on", seen("\x1b[?2004h", 1))
	io.WriteString(tty, "\x1b[200~para one\rpara two\r\x1b[201~")
	p.waitFor(t, "the pasted lines", seen("... ", 2))
	io.WriteString(tty, "\r")
	var mark int
	p.waitFor(t, "the echo", func(out, _ string) bool { mark = len(out); return strings.Contains(out, "para two\r\n") })
	p.waitFor(t, "an answer", func(out, _ string) bool { return len(out) > mark+40 })
	io.WriteString(tty, "\x03") // cooked mode while generating: SIGINT
	p.waitFor(t, "the interrupted answer and a new prompt", func(out, _ string) bool {
		i := strings.Index(out, "finish: interrupted")
		return i >= 0 && strings.Contains(out[i:], ">>> ")
	})
	io.WriteString(tty, "/context\r")
	p.waitFor(t, "one turn", seen("(1 turn)", 1))
	io.WriteString(tty, "\x04") // Ctrl-D at an empty prompt
	if code := p.exitCode(t); code != 0 {
		out, _ := p.snapshot()
		t.Errorf("Ctrl-D: exit %d\n%q", code, out)
	}
	tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err != nil || tio.Lflag&unix.ICANON == 0 || tio.Lflag&unix.ECHO == 0 {
		t.Errorf("terminal left raw: %+v %v", tio, err)
	}
	if out, _ := p.snapshot(); !strings.HasSuffix(strings.TrimSpace(out), "\x1b[?2004l") {
		t.Errorf("bracketed paste left on: %q", out[max(0, len(out)-40):])
	}

	// Ctrl-C at the prompt (raw mode: a byte, not a signal) exits with 130.
	p, tty, _ = startTTY(t, "run", "--model", dir, "-i")
	p.waitFor(t, "the prompt", seen(">>> ", 1))
	io.WriteString(tty, "\x03")
	if code := p.exitCode(t); code != 130 {
		t.Errorf("Ctrl-C at the prompt: exit %d", code)
	}
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
