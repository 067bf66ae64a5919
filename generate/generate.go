// Package generate is the text generation behind `ct2go run`: Generate
// prefills a prompt into a runtime.Session, then picks tokens one by one
// (greedy or sampled, with an optional repetition penalty) until a stop id, a
// stop string or the token budget, decoding text as it goes; Conversation
// keeps a chat (system prompt, turns, chat template, KV cache reuse,
// trimming to the context). Greedy decoding follows CTranslate2's
// generate_batch(include_prompt_in_result=False, sampling_topk=1): argmax with
// the lowest id on ties, end tokens stripped from the result.
package generate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ct2go/ct2go/format/hf"
	"github.com/ct2go/ct2go/internal/fsutil"
	"github.com/ct2go/ct2go/runtime"
)

// Options configure Generate.
type Options struct {
	MaxTokens int   // new tokens at most (>= 1)
	Stop      []int // ids that end generation (not included in the result)
	Sampler   *Sampler
	// RepetitionPenalty > 1 discourages ids already in the sequence (History,
	// the prompt and the output); 0 or 1 = off. See penalty.
	RepetitionPenalty float64
	// History are the ids already in the session before the prompt (a
	// conversation's earlier turns), for the repetition penalty.
	History []int
	// Decoder turns ids into text; needed for OnText and StopStrings.
	Decoder Decoder
	// StopStrings end generation as soon as the generated text contains one
	// of them; the text stops before it (the ids that produced it are kept).
	StopStrings []string
	// OnToken is called with every generated id as soon as it is chosen.
	OnToken func(id int) error
	// OnText is called with generated text as it becomes final.
	OnText func(text string) error
}

// Finish reasons.
const (
	FinishStop        = "stop"        // a stop id or stop string came
	FinishLength      = "length"      // MaxTokens reached
	FinishInterrupted = "interrupted" // the context was cancelled
)

// Result is what Generate produced.
type Result struct {
	IDs []int
	// Text is the decoded output (with a Decoder), without a stop string.
	Text string
	// Finish is FinishStop, FinishLength or FinishInterrupted.
	Finish string
	// Fed is how many of IDs are in the session's cache after the call (the
	// last id of a "length" or stop-string finish is chosen but never fed).
	Fed            int
	PromptTokens   int
	PrefillSeconds float64
	DecodeSeconds  float64 // from the first generated token to the last
}

// TokensPerSecond is the decode rate: tokens after the first over the time
// after it (the first token comes from the prefill, as in llama2.c's report).
func (r *Result) TokensPerSecond() float64 {
	if len(r.IDs) <= 1 || r.DecodeSeconds <= 0 {
		return 0
	}
	return float64(len(r.IDs)-1) / r.DecodeSeconds
}

// PromptTokensPerSecond is the prefill rate.
func (r *Result) PromptTokensPerSecond() float64 {
	if r.PrefillSeconds <= 0 {
		return 0
	}
	return float64(r.PromptTokens) / r.PrefillSeconds
}

// Generate prefills prompt at the session's current position and decodes.
// The session must have room for len(prompt)+MaxTokens-1 more positions.
// When ctx is cancelled it returns what was generated so far (Finish
// "interrupted", the text flushed) together with ctx's error; a cancelled
// prefill leaves the session as it was and returns a nil Result.
func Generate(ctx context.Context, s *runtime.Session, prompt []int, opt Options) (*Result, error) {
	if len(prompt) == 0 {
		return nil, errors.New("empty prompt")
	}
	if opt.MaxTokens < 1 {
		return nil, fmt.Errorf("max tokens must be at least 1 (got %d)", opt.MaxTokens)
	}
	if need := s.Pos() + len(prompt) + opt.MaxTokens - 1; need > s.MaxLen() {
		return nil, fmt.Errorf("%d cached + %d prompt + %d new tokens exceed the context of %d positions", s.Pos(), len(prompt), opt.MaxTokens, s.MaxLen())
	}
	if len(opt.StopStrings) > 0 && opt.Decoder == nil {
		return nil, errors.New("stop strings need a decoder")
	}
	sp := opt.Sampler
	if sp == nil {
		sp = NewSampler(Sampling{})
	}
	stop := map[int]bool{}
	for _, id := range opt.Stop {
		stop[id] = true
	}
	var pen *penalty // sized by the logits, after the prefill
	var text strings.Builder
	var stream TextStream
	if opt.Decoder != nil {
		stream = opt.Decoder.NewStream()
	}
	filter := &stopFilter{stops: opt.StopStrings}
	emit := func(s string) error {
		if s == "" {
			return nil
		}
		text.WriteString(s)
		if opt.OnText != nil {
			return opt.OnText(s)
		}
		return nil
	}
	res := &Result{PromptTokens: len(prompt), Finish: FinishLength}
	// finish flushes the text stream (also on errors, so the caller has all
	// the text of the ids in the result).
	finish := func(err error) (*Result, error) {
		if stream != nil && !filter.hit {
			if ferr := emit(filter.add(stream.Flush())); err == nil {
				err = ferr
			}
			if !filter.hit {
				if ferr := emit(filter.flush()); err == nil {
					err = ferr
				}
			} else {
				res.Finish = FinishStop
			}
		}
		res.Text = text.String()
		return res, err
	}
	t0 := time.Now()
	lg, err := s.PrefillContext(ctx, prompt, false)
	if err != nil {
		return nil, err
	}
	res.PrefillSeconds = time.Since(t0).Seconds()
	logits := lg[0]
	if pen = newPenalty(opt.RepetitionPenalty, len(logits)); pen != nil {
		pen.add(opt.History...)
		pen.add(prompt...)
	}
	var t1 time.Time
	for {
		if err := ctx.Err(); err != nil {
			res.Finish = FinishInterrupted
			res.Fed = len(res.IDs)
			if len(res.IDs) > 0 {
				res.DecodeSeconds = time.Since(t1).Seconds()
			}
			return finish(err)
		}
		pen.apply(logits)
		next := sp.Sample(logits)
		if stop[next] {
			res.Finish = FinishStop
			res.Fed = len(res.IDs)
			break
		}
		res.IDs = append(res.IDs, next)
		pen.add(next)
		if len(res.IDs) == 1 {
			t1 = time.Now()
		}
		if opt.OnToken != nil {
			if err := opt.OnToken(next); err != nil {
				return finish(err)
			}
		}
		if stream != nil {
			if err := emit(filter.add(stream.Add(next))); err != nil {
				return finish(err)
			}
			if filter.hit {
				res.Finish = FinishStop
				break
			}
		}
		if len(res.IDs) == opt.MaxTokens {
			break
		}
		if logits, err = s.Step(next); err != nil {
			return finish(err)
		}
		res.Fed++
	}
	if len(res.IDs) > 0 {
		res.DecodeSeconds = time.Since(t1).Seconds()
	}
	return finish(nil)
}

// StopIDs are the ids that end generation for the model in dir: the
// eos_token_id (an id or a list) of generation_config.json, else the
// eos_token of the CTranslate2 config.json looked up in the vocabulary.
func StopIDs(dir string, m *runtime.Model) ([]int, error) {
	path := filepath.Join(dir, "generation_config.json")
	data, err := fsutil.ReadCapped(path, hf.MaxJSONSize)
	if err == nil {
		var gc struct {
			EOS json.RawMessage `json:"eos_token_id"`
		}
		if err := json.Unmarshal(data, &gc); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(gc.EOS) > 0 && string(gc.EOS) != "null" {
			var ids []int
			var one int
			if err := json.Unmarshal(gc.EOS, &one); err == nil {
				ids = []int{one}
			} else if err := json.Unmarshal(gc.EOS, &ids); err != nil {
				return nil, fmt.Errorf("%s: eos_token_id is %s, want an id or a list of ids", path, gc.EOS)
			}
			for _, id := range ids {
				if id < 0 || id >= m.VocabSize() {
					return nil, fmt.Errorf("%s: eos_token_id %d is outside the vocabulary of %d tokens", path, id, m.VocabSize())
				}
			}
			if len(ids) > 0 {
				return ids, nil
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if eos := m.Config().EOSToken; eos != "" {
		if id, ok := m.TokenID(eos); ok {
			return []int{id}, nil
		}
		return nil, fmt.Errorf("%s: eos_token %q is not in vocabulary.json", filepath.Join(dir, "config.json"), eos)
	}
	return nil, nil
}
