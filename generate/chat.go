package generate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ct2go/ct2go/runtime"
	"github.com/ct2go/ct2go/tokenizer"
)

// RejectedError is a message the conversation cannot take (it leaves the
// conversation unchanged): a token the model has no row for, or a message
// too long for the context on its own.
type RejectedError struct{ msg string }

func (e *RejectedError) Error() string { return e.msg }

// ChatPrompt renders one exchange (an optional system message and a user
// message) with the tokenizer's chat template, ending with the assistant
// header, and checks the ids against the model's vocabulary.
func ChatPrompt(tok *tokenizer.Tokenizer, vocab int, system, user string) ([]int, error) {
	return render(tok, vocab, "", system, []Turn{{User: user}})
}

// Turn is one exchange of a conversation.
type Turn struct{ User, Assistant string }

// messages are the chat-template messages of a conversation; with open,
// the last turn's answer is still to come.
func messages(system string, turns []Turn, open bool) []map[string]string {
	var msgs []map[string]string
	if system != "" {
		msgs = append(msgs, map[string]string{"role": "system", "content": system})
	}
	for i, t := range turns {
		msgs = append(msgs, map[string]string{"role": "user", "content": t.User})
		if !open || i < len(turns)-1 {
			msgs = append(msgs, map[string]string{"role": "assistant", "content": t.Assistant})
		}
	}
	return msgs
}

// render is the prompt for the last turn's answer.
func render(tok *tokenizer.Tokenizer, vocab int, date, system string, turns []Turn) ([]int, error) {
	if !tok.HasChatTemplate() {
		return nil, errors.New("the tokenizer files have no chat template")
	}
	_, ids, err := tok.EncodeChat(messages(system, turns, true), tokenizer.ChatOptions{AddGenerationPrompt: true, DateString: date})
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if id < 0 || id >= vocab {
			// e.g. <|image|> (128256): the tokenizer knows it, the text-only model has no row for it.
			return nil, &RejectedError{fmt.Sprintf("token %q (id %d) is outside the model's vocabulary of %d tokens", tok.Token(id), id, vocab)}
		}
	}
	return ids, nil
}

// Conversation is a chat with a model: a system prompt and the turns so
// far, rendered with the tokenizer's chat template on every turn. The KV
// cache is reused: only the part of the new rendering that differs from what
// the cache holds is prefilled. When the conversation outgrows the context,
// the oldest turns are dropped (the system prompt stays).
type Conversation struct {
	m      *runtime.Model
	tok    *tokenizer.Tokenizer
	s      *runtime.Session
	opt    Options
	date   string // the template's date_string, fixed for the conversation (the cache stays valid past midnight)
	system string
	turns  []Turn
	cached []int // the ids in the session's cache (len == s.Pos())

	// OnTrim, when set, hears before an answer starts that the oldest
	// dropped turns were dropped or that the budget is below MaxTokens.
	OnTrim func(dropped, budget int)
}

// NewConversation starts a conversation with room for contextLen positions.
// opt gives the per-answer settings (MaxTokens, Stop, Sampler, ...); its
// Decoder defaults to the tokenizer, its OnText is set per Send.
func NewConversation(m *runtime.Model, tok *tokenizer.Tokenizer, contextLen int, system string, opt Options) (*Conversation, error) {
	if !tok.HasChatTemplate() {
		return nil, errors.New("the tokenizer files have no chat template")
	}
	if opt.MaxTokens < 1 {
		return nil, fmt.Errorf("max tokens must be at least 1 (got %d)", opt.MaxTokens)
	}
	if opt.Decoder == nil {
		opt.Decoder = TokenizerDecoder(tok)
	}
	return &Conversation{m: m, tok: tok, s: m.NewSession(contextLen), opt: opt, system: system,
		// strftime("%d %b %Y"), what Llama 3 templates call for an undefined date_string
		date: time.Now().Format("02 Jan 2006")}, nil
}

// Reply is the outcome of one Send.
type Reply struct {
	*Result
	// Dropped is how many of the oldest turns were dropped to make room.
	Dropped int
	// Budget is the token budget of this answer: MaxTokens, or what was left
	// of the context when even the newest message alone leaves less.
	Budget int
}

// Send adds a user message and generates the answer, passing its text to
// onText as it comes. A cancelled ctx ends the answer where it is: the turn
// is kept as far as it went and the Reply's Finish is "interrupted" (no
// error). A *RejectedError leaves the conversation as it was.
func (c *Conversation) Send(ctx context.Context, user string, onText func(string) error) (*Reply, error) {
	vocab, size := c.m.VocabSize(), c.s.MaxLen()
	turns := append(c.turns[:len(c.turns):len(c.turns)], Turn{User: user})
	ids, err := render(c.tok, vocab, c.date, c.system, turns)
	if err != nil {
		return nil, err
	}
	// Drop the oldest turns until the prompt and a full answer fit.
	dropped := 0
	for len(ids)+c.opt.MaxTokens-1 > size && dropped < len(turns)-1 {
		dropped++
		if ids, err = render(c.tok, vocab, c.date, c.system, turns[dropped:]); err != nil {
			return nil, err
		}
	}
	budget := c.opt.MaxTokens
	if len(ids)+budget-1 > size {
		budget = size - len(ids) + 1
	}
	if budget < 1 {
		return nil, &RejectedError{fmt.Sprintf("the message needs %d positions with the system prompt, the context has %d", len(ids), size)}
	}
	turns = turns[dropped:]
	if c.OnTrim != nil && (dropped > 0 || budget < c.opt.MaxTokens) {
		c.OnTrim(dropped, budget)
	}
	// Reuse the longest common prefix of the cache and the new rendering
	// (at least one id must be prefilled to get the next logits).
	n := 0
	for n < len(c.cached) && n < len(ids) && c.cached[n] == ids[n] {
		n++
	}
	if n == len(ids) {
		n--
	}
	if err := c.s.Truncate(n); err != nil {
		return nil, err
	}
	c.cached = c.cached[:n]
	opt := c.opt
	opt.MaxTokens, opt.History, opt.OnText = budget, ids[:n], onText
	res, err := Generate(ctx, c.s, ids[n:], opt)
	interrupted := ctx.Err() != nil && errors.Is(err, ctx.Err())
	if err != nil && !interrupted {
		return nil, err
	}
	if res == nil { // cancelled during the prefill: nothing entered the cache
		res = &Result{PromptTokens: len(ids) - n, Finish: FinishInterrupted}
	} else {
		c.cached = append(ids, res.IDs[:res.Fed]...)
	}
	turns[len(turns)-1].Assistant = res.Text
	c.turns = turns
	return &Reply{Result: res, Dropped: dropped, Budget: budget}, nil
}

// Clear starts a new conversation (the system prompt stays).
func (c *Conversation) Clear() { c.turns = nil }

// SetSystem replaces the system prompt ("" = none); the turns stay.
func (c *Conversation) SetSystem(s string) { c.system = s }

// System is the current system prompt.
func (c *Conversation) System() string { return c.system }

// Turns is the number of exchanges kept.
func (c *Conversation) Turns() int { return len(c.turns) }

// Context reports the positions the conversation (system prompt and turns
// so far, as rendered by the chat template) occupies, and the context size.
func (c *Conversation) Context() (used, size int, err error) {
	if len(c.turns) > 0 || c.system != "" {
		_, ids, err := c.tok.EncodeChat(messages(c.system, c.turns, false), tokenizer.ChatOptions{DateString: c.date})
		if err != nil {
			return 0, 0, err
		}
		used = len(ids)
	}
	return used, c.s.MaxLen(), nil
}

// MaxTokens is the per-answer token budget.
func (c *Conversation) MaxTokens() int { return c.opt.MaxTokens }
