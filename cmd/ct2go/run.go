package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ct2go/ct2go/generate"
	"github.com/ct2go/ct2go/runtime"
	"github.com/ct2go/ct2go/tokenizer"
)

func runCommand() *cli.Command {
	return &cli.Command{
		Name:  "run",
		Usage: "generate text with a CTranslate2 model using the Go runtime",
		Description: "The prompt goes through the model's chat template (tokenizer files in the model directory) unless\n" +
			"--raw or --ids. Text streams to stdout; token counts and tok/s go to stderr. Generation stops at the\n" +
			"eos ids of generation_config.json (else config.json's eos_token). Greedy unless --temperature > 0.",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Usage: "CTranslate2 model directory", Required: true},
			&cli.StringFlag{Name: "prompt", Aliases: []string{"p"}, Usage: "user message (or raw text with --raw)"},
			&cli.StringFlag{Name: "system", Usage: "system message"},
			&cli.StringFlag{Name: "ids", Usage: "prompt as comma-separated token ids, used as given (e.g. 128000,9906)"},
			&cli.BoolFlag{Name: "raw", Usage: "no chat template: encode --prompt as plain text (with <|begin_of_text|>)"},
			&cli.IntFlag{Name: "max_tokens", Aliases: []string{"max-tokens", "n"}, Value: 256, Usage: "new tokens at most"},
			&cli.Float64Flag{Name: "temperature", Usage: "sampling temperature; 0 = greedy"},
			&cli.IntFlag{Name: "top_k", Aliases: []string{"top-k"}, Usage: "sample from the k most likely tokens (0 = all)"},
			&cli.Float64Flag{Name: "top_p", Aliases: []string{"top-p"}, Value: 1, Usage: "nucleus sampling threshold"},
			&cli.Uint64Flag{Name: "seed", Usage: "random seed", DefaultText: "from the clock"},
			&cli.BoolFlag{Name: "interactive", Aliases: []string{"i"}, Usage: "chat: read user messages from stdin, keep the conversation"},
			&cli.IntFlag{Name: "context", Value: 4096, Usage: "with --interactive: positions kept for the conversation"},
			&cli.BoolFlag{Name: "json", Usage: `print {"ids", "text", "tokens_per_second", ...} instead of streaming`},
			&cli.IntFlag{Name: "threads", Usage: "runtime threads", DefaultText: "all cores"},
			&cli.StringFlag{Name: "compute", Value: "default", Usage: "compute type: default, float32, int8"},
		},
		Action: runRun,
	}
}

// runSetup is what every mode needs.
type runSetup struct {
	dir  string
	m    *runtime.Model
	tok  *tokenizer.Tokenizer // nil when the model dir has no tokenizer.json (--ids only)
	stop []int
	gen  generate.Options
}

func runRun(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("run takes no arguments (got %q): use --prompt TEXT", c.Args().First())
	}
	prompt, idsFlag, raw, inter := c.String("prompt"), c.String("ids"), c.Bool("raw"), c.Bool("interactive")
	switch {
	case idsFlag != "" && (prompt != "" || raw || c.IsSet("system")):
		return usagef("--ids gives the whole prompt: do not combine it with --prompt, --system or --raw")
	case inter && (idsFlag != "" || raw || c.Bool("json")):
		return usagef("--interactive uses the chat template: not with --ids, --raw or --json")
	case !inter && idsFlag == "" && !c.IsSet("prompt"):
		return usagef("run needs --prompt TEXT, --ids ID,ID,... or --interactive")
	case c.Int("max_tokens") < 1:
		return usagef("--max_tokens must be at least 1")
	case c.Float64("temperature") < 0 || c.Float64("top_p") <= 0 || c.Float64("top_p") > 1 || c.Int("top_k") < 0:
		return usagef("--temperature must be >= 0, --top_p in (0, 1], --top_k >= 0")
	}
	var ids []int
	if idsFlag != "" {
		var err error
		if ids, err = parseIDs(idsFlag); err != nil {
			return usagef("--ids: %v", err)
		}
	}
	compute, err := runtime.ParseCompute(c.String("compute"))
	if err != nil {
		return usagef("--compute: %v", err)
	}
	dir := c.String("model")
	m, err := runtime.Load(dir, runtime.Options{Compute: compute, Threads: c.Int("threads")})
	if err != nil {
		if errors.Is(err, runtime.ErrUnsupported) {
			return exitError{exitUnsupported, err}
		}
		return err
	}
	defer m.Close()
	if m.Config().Llama3ScalarsMissing {
		fmt.Fprintf(os.Stderr, "warning: %s lacks the llama3 RoPE scalars and runs with plain RoPE (output drifts from the original model with position); see `ct2go verify` and `ct2go fix-rope --model %s`\n", dir, dir)
	}
	rs := &runSetup{dir: dir, m: m}
	if _, err := os.Stat(filepath.Join(dir, "tokenizer.json")); err == nil {
		if rs.tok, err = tokenizer.Load(dir); err != nil {
			return err
		}
	} else if idsFlag == "" {
		return fmt.Errorf("%s: no tokenizer.json: give the prompt as --ids", dir)
	}
	if rs.stop, err = generate.StopIDs(dir, m); err != nil {
		return err
	}
	seed := c.Uint64("seed")
	if !c.IsSet("seed") {
		seed = uint64(time.Now().UnixNano())
	}
	rs.gen = generate.Options{
		MaxTokens: c.Int("max_tokens"),
		Stop:      rs.stop,
		Sampler: generate.NewSampler(generate.Sampling{
			Temperature: c.Float64("temperature"), TopK: c.Int("top_k"), TopP: c.Float64("top_p"), Seed: seed}),
	}
	if inter {
		return rs.interactive(c, prompt, c.String("system"))
	}
	if ids == nil {
		if raw {
			ids = rs.tok.Encode(prompt, true)
		} else if ids, err = rs.chat(chatMessages(c.String("system"), prompt)); err != nil {
			return err
		}
	}
	for i, id := range ids {
		if id < 0 || id >= m.VocabSize() {
			if idsFlag != "" {
				return usagef("--ids: id %d at position %d is outside the model's vocabulary of %d tokens", id, i, m.VocabSize())
			}
			// e.g. <|image|> (128256): the tokenizer knows it, the text-only model has no row for it.
			return usagef("--prompt: token %q (id %d) is outside the model's vocabulary of %d tokens", rs.tok.Token(id), id, m.VocabSize())
		}
	}
	return rs.once(c, ids, c.Bool("json"))
}

func parseIDs(s string) ([]int, error) {
	var ids []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		id, err := strconv.Atoi(f)
		if err != nil || id < 0 {
			return nil, fmt.Errorf("%q is not a token id", f)
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, errors.New("no ids")
	}
	return ids, nil
}

func chatMessages(system, user string) []map[string]string {
	var msgs []map[string]string
	if system != "" {
		msgs = append(msgs, map[string]string{"role": "system", "content": system})
	}
	return append(msgs, map[string]string{"role": "user", "content": user})
}

func (rs *runSetup) chat(msgs []map[string]string) ([]int, error) {
	if !rs.tok.HasChatTemplate() {
		return nil, fmt.Errorf("%s: the tokenizer files have no chat template: use --raw", rs.dir)
	}
	_, ids, err := rs.tok.EncodeChat(msgs, tokenizer.ChatOptions{AddGenerationPrompt: true})
	return ids, err
}

// streamer writes generated text as it becomes final.
func (rs *runSetup) streamer(w io.Writer) (func(int) error, func() error) {
	if rs.tok == nil { // no tokenizer: the ids are the output
		first := true
		return func(id int) error {
				sep := " "
				if first {
					sep, first = "", false
				}
				_, err := fmt.Fprintf(w, "%s%d", sep, id)
				return err
			}, func() error {
				_, err := fmt.Fprintln(w)
				return err
			}
	}
	dec := rs.tok.NewStreamDecoder(true)
	bw := bufio.NewWriter(w)
	return func(id int) error {
			if s := dec.Add(id); s != "" {
				bw.WriteString(s)
				return bw.Flush()
			}
			return nil
		}, func() error {
			bw.WriteString(dec.Flush())
			bw.WriteString("\n")
			return bw.Flush()
		}
}

func (rs *runSetup) once(c *cli.Context, ids []int, asJSON bool) error {
	s := rs.m.NewSession(len(ids) + rs.gen.MaxTokens)
	opt := rs.gen
	var done func() error
	if !asJSON {
		opt.OnToken, done = rs.streamer(os.Stdout)
	}
	res, err := generate.Generate(c.Context, s, ids, opt)
	if done != nil && res != nil {
		if ferr := done(); err == nil {
			err = ferr
		}
	}
	if err != nil {
		return err
	}
	reportSpeed(res)
	if asJSON {
		text := ""
		if rs.tok != nil {
			text = rs.tok.Decode(res.IDs, true)
		}
		ids := res.IDs
		if ids == nil {
			ids = []int{}
		}
		return printJSON(os.Stdout, runJSON{
			IDs: ids, Text: text, TokensPerSecond: res.TokensPerSecond(), Finish: res.Finish,
			PromptTokens: res.PromptTokens, PromptTokensPerSecond: res.PromptTokensPerSecond(),
		})
	}
	return nil
}

// runJSON is `ct2go run --json`'s output.
type runJSON struct {
	IDs                   []int   `json:"ids"`
	Text                  string  `json:"text"`
	TokensPerSecond       float64 `json:"tokens_per_second"`
	Finish                string  `json:"finish_reason"` // "stop" (an eos id) or "length"
	PromptTokens          int     `json:"prompt_tokens"`
	PromptTokensPerSecond float64 `json:"prompt_tokens_per_second"`
}

func reportSpeed(res *generate.Result) {
	fmt.Fprintf(os.Stderr, "%d tokens in %.3fs, %.1f tok/s (prompt: %d tokens in %.3fs, %.1f tok/s); finish: %s\n",
		len(res.IDs), res.PrefillSeconds+res.DecodeSeconds, res.TokensPerSecond(),
		res.PromptTokens, res.PrefillSeconds, res.PromptTokensPerSecond(), res.Finish)
}

// interactive is a small chat REPL: each line is a user message; the whole
// conversation is re-rendered with the chat template every turn and only the
// part not already in the KV cache is prefilled.
func (rs *runSetup) interactive(c *cli.Context, first, system string) error {
	if rs.tok == nil {
		return fmt.Errorf("%s: --interactive needs tokenizer.json", rs.dir)
	}
	s := rs.m.NewSession(c.Int("context"))
	var msgs []map[string]string
	if system != "" {
		msgs = append(msgs, map[string]string{"role": "system", "content": system})
	}
	base := len(msgs)
	var cached []int // ids in the KV cache
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	fmt.Fprintln(os.Stderr, "chat: one message per line; /reset starts over, /exit or EOF ends")
	for {
		line := first
		first = ""
		if line == "" {
			fmt.Fprint(os.Stderr, "> ")
			if !in.Scan() {
				fmt.Fprintln(os.Stderr)
				return in.Err()
			}
			line = strings.TrimSpace(in.Text())
		}
		switch line {
		case "":
			continue
		case "/exit", "/quit":
			return nil
		case "/reset":
			msgs, cached = msgs[:base], nil
			s.Reset()
			continue
		}
		if err := c.Context.Err(); err != nil {
			return err
		}
		turn := append(slices.Clone(msgs), map[string]string{"role": "user", "content": line})
		ids, err := rs.chat(turn)
		if err != nil {
			return err
		}
		if i := slices.IndexFunc(ids, func(id int) bool { return id >= rs.m.VocabSize() }); i >= 0 {
			fmt.Fprintf(os.Stderr, "token %q (id %d) is outside the model's vocabulary of %d tokens: message ignored\n", rs.tok.Token(ids[i]), ids[i], rs.m.VocabSize())
			continue
		}
		if len(ids)+rs.gen.MaxTokens-1 > s.MaxLen() {
			fmt.Fprintf(os.Stderr, "the conversation needs %d positions, the context is %d: /reset (or raise --context)\n", len(ids)+rs.gen.MaxTokens-1, s.MaxLen())
			continue
		}
		// Reuse the cache when the new rendering extends what it holds;
		// otherwise (re-tokenization differs) start the cache over.
		var suffix []int
		if len(cached) < len(ids) && slices.Equal(ids[:len(cached)], cached) {
			suffix = ids[len(cached):]
		} else {
			s.Reset()
			suffix = ids
		}
		opt := rs.gen
		var done func() error
		opt.OnToken, done = rs.streamer(os.Stdout)
		res, err := generate.Generate(c.Context, s, suffix, opt)
		if res != nil {
			done()
		}
		if err != nil {
			return err
		}
		reportSpeed(res)
		msgs = append(turn, map[string]string{"role": "assistant", "content": rs.tok.Decode(res.IDs, true)})
		cached = append(ids, res.IDs[:res.Fed]...)
	}
}
