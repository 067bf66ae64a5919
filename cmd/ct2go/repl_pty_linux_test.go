package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

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
	// The reader copies from the pty master after the process is gone: wait for the last
	// bytes rather than read a snapshot (a snapshot raced the copy).
	p.waitFor(t, "bracketed paste mode off at the end", func(out, _ string) bool {
		return strings.HasSuffix(strings.TrimSpace(out), "\x1b[?2004l")
	})

	// Ctrl-C at the prompt (raw mode: a byte, not a signal) exits with 130.
	p, tty, _ = startTTY(t, "run", "--model", dir, "-i")
	p.waitFor(t, "the prompt", seen(">>> ", 1))
	io.WriteString(tty, "\x03")
	if code := p.exitCode(t); code != 130 {
		t.Errorf("Ctrl-C at the prompt: exit %d", code)
	}
}
