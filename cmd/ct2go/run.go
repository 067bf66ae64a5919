package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
			"eos ids of generation_config.json (else config.json's eos_token) or at a --stop string.\n\n" +
			"Decoding is greedy unless --temperature > 0; --top_k, --top_p and --min_p shape sampling and are\n" +
			"refused without --temperature. --repetition_penalty applies to greedy and sampled decoding alike.\n" +
			"Ctrl-C stops the answer (exit 130).\n\n" +
			"--interactive is a chat: one message per line (end a line with \\ to continue it, or wrap lines in\n" +
			"\"\"\"), /help lists the commands (/clear, /system TEXT, /context, /exit). Ctrl-C stops an answer and\n" +
			"keeps it as far as it went; Ctrl-C at the prompt or Ctrl-D exits. When the conversation outgrows\n" +
			"--context, the oldest turns are dropped (the system prompt stays).\n\n" +
			"A model directory without tokenizer.json (a stock CTranslate2 conversion) decodes with\n" +
			"vocabulary.json; its prompt must then be given as --ids.",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Usage: "CTranslate2 model directory", Required: true},
			&cli.StringFlag{Name: "prompt", Aliases: []string{"p"}, Usage: "user message (or raw text with --raw); - reads it from stdin"},
			&cli.StringFlag{Name: "prompt-file", Aliases: []string{"prompt_file"}, Usage: "read the prompt from `FILE`"},
			&cli.StringFlag{Name: "system", Usage: "system message"},
			&cli.StringFlag{Name: "ids", Usage: "prompt as comma-separated token ids, used as given (e.g. 128000,9906)"},
			&cli.BoolFlag{Name: "raw", Usage: "no chat template: encode the prompt as plain text (with <|begin_of_text|>)"},
			&cli.IntFlag{Name: "max_tokens", Aliases: []string{"max-tokens", "n"}, Value: 256, Usage: "new tokens at most (per answer)"},
			&cli.Float64Flag{Name: "temperature", Usage: "sampling temperature; 0 = greedy"},
			&cli.IntFlag{Name: "top_k", Aliases: []string{"top-k"}, Usage: "with --temperature: sample from the k most likely tokens (0 = all)"},
			&cli.Float64Flag{Name: "top_p", Aliases: []string{"top-p"}, Value: 1, Usage: "with --temperature: nucleus sampling threshold"},
			&cli.Float64Flag{Name: "min_p", Aliases: []string{"min-p"}, Usage: "with --temperature: drop tokens less likely than min_p x the most likely one"},
			&cli.Float64Flag{Name: "repetition_penalty", Aliases: []string{"repetition-penalty"}, Value: 1, Usage: "divide positive / multiply negative logits of tokens already in prompt+output (CTranslate2, transformers); 1 = off"},
			&cli.GenericFlag{Name: "stop", Value: &stopFlag{}, Usage: "stop when the generated text contains `STRING` (not printed; repeatable; \\n and \\t are newline and tab)"},
			&cli.Uint64Flag{Name: "seed", Usage: "random seed", DefaultText: "from the clock"},
			&cli.BoolFlag{Name: "interactive", Aliases: []string{"i"}, Usage: "chat: read user messages from stdin, keep the conversation"},
			&cli.IntFlag{Name: "context", Value: 4096, Usage: "with --interactive: positions kept for the conversation"},
			&cli.BoolFlag{Name: "json", Usage: `print {"ids", "text", "tokens_per_second", ...} instead of streaming`},
			&cli.IntFlag{Name: "threads", Usage: "runtime threads", DefaultText: "all cores"},
			weightsFlag(),
			&cli.StringFlag{Name: "compute", Value: "default", Usage: "compute type: default, float32, int8"},
		},
		Action: runRun,
	}
}

// runSetup is what every mode needs.
type runSetup struct {
	dir string
	m   *runtime.Model
	tok *tokenizer.Tokenizer // nil when the model dir has no tokenizer.json
	gen generate.Options
}

// checkRunFlags rejects flag combinations that would be ignored silently.
func checkRunFlags(c *cli.Context) error {
	prompt, idsFlag, raw, inter := c.String("prompt"), c.String("ids"), c.Bool("raw"), c.Bool("interactive")
	sources := 0
	for _, f := range []string{"prompt", "prompt-file", "ids"} {
		if c.IsSet(f) {
			sources++
		}
	}
	switch {
	case sources > 1:
		return usagef("give the prompt once: --prompt, --prompt-file or --ids")
	case idsFlag != "" && (raw || c.IsSet("system")):
		return usagef("--ids gives the whole prompt: do not combine it with --system or --raw")
	case inter && (idsFlag != "" || raw || c.Bool("json") || c.IsSet("prompt-file")):
		return usagef("--interactive uses the chat template: not with --ids, --raw, --prompt-file or --json")
	case inter && prompt == "-":
		return usagef("--interactive reads the conversation from stdin: --prompt - is not possible")
	case !inter && sources == 0:
		return usagef("run needs --prompt TEXT, --prompt-file FILE, --ids ID,ID,... or --interactive")
	case c.Int("max_tokens") < 1:
		return usagef("--max_tokens must be at least 1")
	case c.Float64("temperature") < 0 || c.Float64("top_p") <= 0 || c.Float64("top_p") > 1 || c.Int("top_k") < 0:
		return usagef("--temperature must be >= 0, --top_p in (0, 1], --top_k >= 0")
	case c.Float64("min_p") < 0 || c.Float64("min_p") > 1:
		return usagef("--min_p must be in [0, 1]")
	case !(c.Float64("repetition_penalty") > 0):
		return usagef("--repetition_penalty must be > 0 (1 = off)")
	case inter && c.Int("context") < 2:
		return usagef("--context must be at least 2")
	}
	if !(c.Float64("temperature") > 0) {
		for _, f := range []string{"top_k", "top_p", "min_p"} {
			if c.IsSet(f) {
				return usagef("--%s shapes sampling and needs --temperature > 0 (without it decoding is greedy)", f)
			}
		}
	}
	for _, s := range stopStrings(c) {
		if s == "" {
			return usagef("--stop: empty string")
		}
	}
	return nil
}

// stopFlag collects --stop values as given: no comma splitting or space
// trimming (a stop string is often " User:" or "\n\n"); \n, \t and \\ are
// unescaped so that shells can pass newlines.
type stopFlag []string

var stopUnescape = strings.NewReplacer(`\\`, `\`, `\n`, "\n", `\t`, "\t")

func (f *stopFlag) Set(s string) error {
	*f = append(*f, stopUnescape.Replace(s))
	return nil
}

func (f *stopFlag) String() string { return strings.Join(*f, " ") }

func stopStrings(c *cli.Context) []string {
	if f, ok := c.Generic("stop").(*stopFlag); ok {
		return *f
	}
	return nil
}

func runRun(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("run takes no arguments (got %q): use --prompt TEXT", c.Args().First())
	}
	if err := checkRunFlags(c); err != nil {
		return err
	}
	var ids []int
	if s := c.String("ids"); s != "" {
		var err error
		if ids, err = parseIDs([]string{s}); err == nil && len(ids) == 0 {
			err = errors.New("no ids")
		}
		if err != nil {
			return usagef("--ids: %v", err)
		}
	}
	prompt, err := readPrompt(c)
	if err != nil {
		return err
	}
	compute, err := runtime.ParseCompute(c.String("compute"))
	if err != nil {
		return usagef("--compute: %v", err)
	}
	dir := c.String("model")
	if err := checkModelPath("run", dir, kindCT2Dir); err != nil {
		return err
	}
	weights, err := weightsOption(c)
	if err != nil {
		return err
	}
	m, err := runtime.Load(dir, runtime.Options{Compute: compute, Threads: c.Int("threads"), Weights: weights})
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
	var dec generate.Decoder
	if _, err := os.Stat(filepath.Join(dir, "tokenizer.json")); err == nil {
		if rs.tok, err = tokenizer.Load(dir); err != nil {
			return err
		}
		dec = generate.TokenizerDecoder(rs.tok)
	} else if ids == nil {
		return fmt.Errorf("%s has no tokenizer.json, which encoding the prompt needs (a CTranslate2 conversion without the tokenizer files): copy tokenizer.json and tokenizer_config.json from the checkpoint into it, or convert with ct2go (it copies them); or give the prompt as --ids", dir)
	} else {
		dec = generate.VocabularyDecoder(m.Vocabulary())
	}
	stop, err := generate.StopIDs(dir, m)
	if err != nil {
		return err
	}
	seed := c.Uint64("seed")
	if !c.IsSet("seed") {
		seed = uint64(time.Now().UnixNano())
	}
	rs.gen = generate.Options{
		MaxTokens: c.Int("max_tokens"),
		Stop:      stop,
		Sampler: generate.NewSampler(generate.Sampling{
			Temperature: c.Float64("temperature"), TopK: c.Int("top_k"), TopP: c.Float64("top_p"),
			MinP: c.Float64("min_p"), Seed: seed}),
		RepetitionPenalty: c.Float64("repetition_penalty"),
		Decoder:           dec,
		StopStrings:       stopStrings(c),
	}
	if c.Bool("interactive") {
		return rs.interactive(c, prompt, c.String("system"))
	}
	if ids == nil {
		if c.Bool("raw") {
			ids = rs.tok.Encode(prompt, true)
		} else if !rs.tok.HasChatTemplate() {
			return fmt.Errorf("%s: the tokenizer files have no chat template: use --raw", dir)
		} else if ids, err = generate.ChatPrompt(rs.tok, m.VocabSize(), c.String("system"), prompt); err != nil {
			var rej *generate.RejectedError
			if errors.As(err, &rej) {
				return usagef("--prompt: %v", err)
			}
			return err
		}
	}
	for i, id := range ids {
		if id < 0 || id >= m.VocabSize() {
			if c.IsSet("ids") {
				return usagef("--ids: id %d at position %d is outside the model's vocabulary of %d tokens", id, i, m.VocabSize())
			}
			// e.g. <|image|> (128256): the tokenizer knows it, the text-only model has no row for it.
			return usagef("--prompt: token %q (id %d) is outside the model's vocabulary of %d tokens", rs.tok.Token(id), id, m.VocabSize())
		}
	}
	return rs.once(c, ids, c.Bool("json"))
}

// readPrompt is --prompt's text, stdin's for --prompt -, or --prompt-file's.
func readPrompt(c *cli.Context) (string, error) {
	const limit = 64 << 20
	read := func(name string, r io.Reader) (string, error) {
		b, err := io.ReadAll(io.LimitReader(r, limit+1))
		if err != nil {
			return "", fmt.Errorf("read the prompt from %s: %w", name, err)
		}
		if len(b) > limit {
			return "", fmt.Errorf("%s: the prompt is larger than %d MiB", name, limit>>20)
		}
		return string(b), nil
	}
	if p := c.String("prompt-file"); p != "" {
		f, err := os.Open(p)
		if err != nil {
			return "", err // *PathError names the file
		}
		defer f.Close()
		return read(p, f)
	}
	if c.String("prompt") == "-" {
		return read("stdin", os.Stdin)
	}
	return c.String("prompt"), nil
}

// textWriter streams text to w as it comes.
func textWriter(w io.Writer) func(string) error {
	bw := bufio.NewWriter(w)
	return func(s string) error {
		bw.WriteString(s)
		return bw.Flush()
	}
}

func (rs *runSetup) once(c *cli.Context, ids []int, asJSON bool) error {
	s := rs.m.NewSession(len(ids) + rs.gen.MaxTokens)
	opt := rs.gen
	if !asJSON {
		opt.OnText = textWriter(os.Stdout)
	}
	res, err := generate.Generate(c.Context, s, ids, opt)
	interrupted := c.Context.Err() != nil
	if err != nil && !(interrupted && res != nil) {
		if interrupted { // during the prefill: nothing generated
			return exitError{exitInterrupted, nil}
		}
		return err
	}
	if !asJSON {
		fmt.Fprintln(os.Stdout)
	}
	fmt.Fprintln(os.Stderr, speedLine(res))
	if asJSON {
		ids := res.IDs
		if ids == nil {
			ids = []int{}
		}
		if err := printJSON(os.Stdout, runJSON{
			IDs: ids, Text: res.Text, TokensPerSecond: res.TokensPerSecond(), Finish: res.Finish,
			PromptTokens: res.PromptTokens, PromptTokensPerSecond: res.PromptTokensPerSecond(),
		}); err != nil {
			return err
		}
	}
	if interrupted {
		// Exit 130 without a message: run writes no files, so main's
		// "temporary output removed" does not apply.
		return exitError{exitInterrupted, nil}
	}
	return nil
}

// runJSON is `ct2go run --json`'s output.
type runJSON struct {
	IDs                   []int   `json:"ids"`
	Text                  string  `json:"text"` // stops before a --stop string
	TokensPerSecond       float64 `json:"tokens_per_second"`
	Finish                string  `json:"finish_reason"` // "stop" (an eos id or --stop string), "length" or "interrupted"
	PromptTokens          int     `json:"prompt_tokens"`
	PromptTokensPerSecond float64 `json:"prompt_tokens_per_second"`
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// speedLine is the stderr summary of a generation. A rate needs a time
// span: the decode rate counts the tokens after the first (which comes with
// the prefill), so it is shown from 2 tokens on.
func speedLine(res *generate.Result) string {
	var b strings.Builder
	n := len(res.IDs)
	b.WriteString(plural(n, "token", "tokens"))
	if n > 0 {
		fmt.Fprintf(&b, " in %.3fs", res.PrefillSeconds+res.DecodeSeconds)
	}
	if r := res.TokensPerSecond(); r > 0 {
		fmt.Fprintf(&b, ", %.1f tok/s", r)
	}
	fmt.Fprintf(&b, " (prompt: %s", plural(res.PromptTokens, "token", "tokens"))
	if res.PrefillSeconds > 0 {
		fmt.Fprintf(&b, " in %.3fs", res.PrefillSeconds)
		if r := res.PromptTokensPerSecond(); r > 0 {
			fmt.Fprintf(&b, ", %.1f tok/s", r)
		}
	}
	fmt.Fprintf(&b, "); finish: %s", res.Finish)
	return b.String()
}
