package main

// The terminal side of `ct2go run --interactive`: line input (with editing
// and history on a terminal), multi-line messages, slash commands, Ctrl-C.
// The conversation itself is generate.Conversation.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/ct2go/ct2go/generate"
)

// errCtrlC is Ctrl-C typed at the prompt.
var errCtrlC = errors.New("interrupted at the prompt")

// errPasted marks a line that was pasted whole (bracketed paste): it joins
// the message under way instead of sending it, so a pasted paragraph is one
// message, sent with Enter.
var errPasted = errors.New("pasted line")

// lineReader reads one line of user input; io.EOF at the end (Ctrl-D).
type lineReader interface {
	readLine(prompt string) (string, error)
}

// plainReader reads lines from a pipe or file; the prompt goes to stderr.
type plainReader struct{ r *bufio.Reader }

func (p *plainReader) readLine(prompt string) (string, error) {
	fmt.Fprint(os.Stderr, prompt)
	line, err := p.r.ReadString('\n')
	if err == io.EOF && line != "" {
		err = nil // a last line without newline
	}
	if err != nil {
		fmt.Fprintln(os.Stderr)
	}
	return strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"), err
}

// termReader edits lines on a terminal with golang.org/x/term: arrows,
// Ctrl-A/E, Ctrl-U/K/W, Home/End, Up/Down through earlier lines. The
// terminal is raw only while a line is read, so Ctrl-C during generation
// is a signal.
type termReader struct {
	fd   int
	t    *term.Terminal
	in   *termInput
	orig *term.State
}

// termInput sits between the terminal and x/term. It notes whether the
// last chunk read held Ctrl-C (x/term returns io.EOF for Ctrl-C and Ctrl-D
// alike), and rewrites the Home/End and cursor key sequences x/term does not
// know (VT220 "ESC [ 1 ~" / "ESC [ 4 ~" as tmux and screen send them, rxvt's
// "ESC [ 7 ~" / "ESC [ 8 ~", and the application-mode "ESC O x" forms) into
// the ones it does. A sequence split across two reads is not rewritten.
type termInput struct {
	r   io.Reader
	hit atomic.Bool
}

var keyRewrites = [][2][]byte{
	{[]byte("\x1b[1~"), []byte("\x1b[H")}, {[]byte("\x1b[7~"), []byte("\x1b[H")}, {[]byte("\x1bOH"), []byte("\x1b[H")},
	{[]byte("\x1b[4~"), []byte("\x1b[F")}, {[]byte("\x1b[8~"), []byte("\x1b[F")}, {[]byte("\x1bOF"), []byte("\x1b[F")},
	{[]byte("\x1bOA"), []byte("\x1b[A")}, {[]byte("\x1bOB"), []byte("\x1b[B")},
	{[]byte("\x1bOC"), []byte("\x1b[C")}, {[]byte("\x1bOD"), []byte("\x1b[D")},
}

func (w *termInput) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	w.hit.Store(bytes.IndexByte(p[:n], 3) >= 0)
	if bytes.IndexByte(p[:n], 0x1b) >= 0 {
		b := p[:n]
		for _, kr := range keyRewrites {
			b = bytes.ReplaceAll(b, kr[0], kr[1]) // never longer: fits in p
		}
		n = copy(p, b)
	}
	return n, err
}

func newTermReader(fd int) (*termReader, error) {
	orig, err := term.GetState(fd)
	if err != nil {
		return nil, err
	}
	in := &termInput{r: os.Stdin}
	t := term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{in, os.Stderr}, "")
	t.SetBracketedPasteMode(true)
	return &termReader{fd: fd, t: t, in: in, orig: orig}, nil
}

func (tr *termReader) readLine(prompt string) (string, error) {
	if w, h, err := term.GetSize(tr.fd); err == nil {
		tr.t.SetSize(w, h)
	}
	tr.t.SetPrompt(prompt)
	if _, err := term.MakeRaw(tr.fd); err != nil {
		return "", err
	}
	line, err := tr.t.ReadLine()
	tr.restore()
	if err == term.ErrPasteIndicator {
		return line, errPasted
	}
	if err == io.EOF {
		fmt.Fprintln(os.Stderr)
		if tr.in.hit.Load() {
			return "", errCtrlC
		}
	}
	return line, err
}

func (tr *termReader) restore() { term.Restore(tr.fd, tr.orig) }

// close leaves the terminal as it was found.
func (tr *termReader) close() {
	tr.t.SetBracketedPasteMode(false)
	tr.restore()
}

// multiLine assembles a message from input lines: a line ending in a
// backslash continues on the next line; a line starting with """ opens a
// block that runs until a line ending with """.
type multiLine struct {
	lines []string
	block bool
}

// add takes one input line; done reports a complete message.
func (ml *multiLine) add(line string) (msg string, done bool) {
	switch {
	case ml.block:
		if rest, ok := strings.CutSuffix(line, `"""`); ok {
			ml.lines = append(ml.lines, rest)
			return ml.take(), true
		}
		ml.lines = append(ml.lines, line)
		return "", false
	case len(ml.lines) == 0 && strings.HasPrefix(line, `"""`):
		rest := line[3:]
		if body, ok := strings.CutSuffix(rest, `"""`); ok && len(rest) >= 3 {
			return body, true
		}
		ml.block = true
		if rest != "" {
			ml.lines = append(ml.lines, rest)
		}
		return "", false
	}
	if rest, ok := strings.CutSuffix(line, `\`); ok {
		ml.lines = append(ml.lines, rest)
		return "", false
	}
	ml.lines = append(ml.lines, line)
	return ml.take(), true
}

func (ml *multiLine) take() string {
	s := strings.Join(ml.lines, "\n")
	ml.lines, ml.block = nil, false
	return s
}

// addPasted takes a line pasted whole: it continues the message (inside a
// """ block it is an ordinary line).
func (ml *multiLine) addPasted(line string) (msg string, done bool) {
	if ml.block {
		return ml.add(line)
	}
	ml.lines = append(ml.lines, line)
	return "", false
}

// pending reports a message under way (the continuation prompt shows).
func (ml *multiLine) pending() bool { return ml.block || len(ml.lines) > 0 }

const replHelp = `commands (never sent to the model):
  /help            this list
  /clear           start a new conversation (the system prompt stays)
  /system TEXT     set the system prompt; /system alone shows it
  /context         positions used and left in the context
  /exit            leave (also Ctrl-D, or Ctrl-C at the prompt)
input: end a line with \ to continue the message on the next line, or wrap lines in """ ... """;
start a message with // to send a text beginning with /. Ctrl-C stops an answer.`

// replAction is what a slash command asks of the loop.
type replAction int

const (
	replContinue replAction = iota
	replExit
)

// command runs a slash command (line starts with "/"), printing to w.
func command(conv *generate.Conversation, line string, w io.Writer) replAction {
	name, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	switch name {
	case "/exit", "/quit", "/bye":
		return replExit
	case "/help", "/?":
		fmt.Fprintln(w, replHelp)
	case "/clear", "/reset":
		conv.Clear()
		fmt.Fprintln(w, "new conversation")
	case "/system":
		if arg == "" {
			if s := conv.System(); s != "" {
				fmt.Fprintf(w, "system prompt: %s\n", s)
			} else {
				fmt.Fprintln(w, "no system prompt")
			}
			break
		}
		conv.SetSystem(arg)
		fmt.Fprintln(w, "system prompt set")
	case "/context":
		used, size, err := conv.Context()
		if err != nil {
			fmt.Fprintf(w, "context: %v\n", err)
			break
		}
		fmt.Fprintf(w, "context: %d of %d positions used (%s), %d left; an answer takes up to %d\n",
			used, size, plural(conv.Turns(), "turn", "turns"), size-used, conv.MaxTokens())
	default:
		fmt.Fprintf(w, "unknown command %s: /help lists them\n", name)
	}
	return replContinue
}

// interactive is the chat REPL. Messages are read on a goroutine so that
// a signal at the prompt ends the program at once.
func (rs *runSetup) interactive(c *cli.Context, first, system string) error {
	conv, err := generate.NewConversation(rs.m, rs.tok, c.Int("context"), system, rs.gen)
	if err != nil {
		return fmt.Errorf("%s: %w", rs.dir, err)
	}
	conv.OnTrim = func(dropped, budget int) {
		switch {
		case dropped == 1:
			fmt.Fprintln(os.Stderr, "context full: dropped the oldest turn (the system prompt stays)")
		case dropped > 1:
			fmt.Fprintf(os.Stderr, "context full: dropped the %d oldest turns (the system prompt stays)\n", dropped)
		}
		if budget < conv.MaxTokens() {
			fmt.Fprintf(os.Stderr, "context nearly full: this answer gets at most %s\n", plural(budget, "token", "tokens"))
		}
	}
	var in lineReader = &plainReader{r: bufio.NewReaderSize(os.Stdin, 1<<16)}
	if fd := int(os.Stdin.Fd()); term.IsTerminal(fd) && term.IsTerminal(int(os.Stderr.Fd())) {
		tr, err := newTermReader(fd)
		if err != nil {
			return err
		}
		defer tr.close()
		in = tr
	}
	// main.go's NotifyContext cancels c.Context on the first Ctrl-C for
	// good; the REPL handles the signals itself, per answer.
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigc)
	if c.Context.Err() != nil { // interrupted while the model loaded
		return exitError{exitInterrupted, nil}
	}
	type lineResult struct {
		line string
		err  error
	}
	lines := make(chan lineResult)
	fmt.Fprintln(os.Stderr, `chat: one message per line (end it with \ or use """ for more); /help lists the commands; Ctrl-D exits`)
	var ml multiLine
	out := textWriter(os.Stdout)
	for {
		line := first
		if first == "" {
			prompt := ">>> "
			if ml.pending() {
				prompt = "... "
			}
			go func() {
				l, err := in.readLine(prompt)
				lines <- lineResult{l, err}
			}()
			var r lineResult
			select {
			case r = <-lines:
			case <-sigc:
				return exitError{exitInterrupted, nil}
			}
			switch {
			case r.err == errPasted:
				if msg, done := ml.addPasted(r.line); done {
					if stop, err := rs.send(conv, msg, out, sigc); err != nil || stop {
						return err
					}
				}
				continue
			case r.err == errCtrlC && ml.pending():
				ml.take() // drop the unfinished message
				continue
			case r.err == errCtrlC:
				return exitError{exitInterrupted, nil}
			case r.err == io.EOF:
				return nil
			case r.err != nil:
				return r.err
			}
			line = r.line
		}
		first = ""
		if !ml.pending() {
			if strings.HasPrefix(strings.TrimSpace(line), "/") && !strings.HasPrefix(strings.TrimSpace(line), "//") {
				if command(conv, strings.TrimSpace(line), os.Stderr) == replExit {
					return nil
				}
				continue
			}
		}
		msg, done := ml.add(line)
		if !done {
			continue
		}
		if stop, err := rs.send(conv, msg, out, sigc); err != nil || stop {
			return err
		}
	}
}

// send answers a complete message; stop (with an exit error) ends the REPL.
func (rs *runSetup) send(conv *generate.Conversation, msg string, out func(string) error, sigc chan os.Signal) (stop bool, err error) {
	msg = strings.TrimSpace(msg)
	if strings.HasPrefix(msg, "//") {
		msg = msg[1:]
	}
	if msg == "" {
		return false, nil
	}
	sigterm, err := rs.answer(conv, msg, out, sigc)
	if err != nil {
		return true, err
	}
	if sigterm {
		return true, exitError{exitInterrupted, nil}
	}
	return false, nil
}

// answer sends one message and streams the reply; Ctrl-C stops the reply,
// SIGTERM stops it and asks the REPL to end (sigterm).
func (rs *runSetup) answer(conv *generate.Conversation, msg string, out func(string) error, sigc chan os.Signal) (sigterm bool, err error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	var gotTerm atomic.Bool
	go func() {
		select {
		case s := <-sigc:
			gotTerm.Store(s == syscall.SIGTERM)
			cancel()
		case <-done:
		}
	}()
	reply, err := conv.Send(ctx, msg, out)
	close(done)
	var rej *generate.RejectedError
	if errors.As(err, &rej) {
		fmt.Fprintf(os.Stderr, "%v: message ignored\n", err)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	fmt.Fprintln(os.Stdout)
	fmt.Fprintln(os.Stderr, speedLine(reply.Result))
	return gotTerm.Load(), nil
}
