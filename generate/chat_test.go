package generate

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ct2go/ct2go/tokenizer"
)

func newConv(t *testing.T, contextLen, maxTokens int, system string) *Conversation {
	t.Helper()
	c, err := NewConversation(fixtureModel(t), fixtureTokenizer(t), contextLen, system, Options{MaxTokens: maxTokens})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func send(t *testing.T, c *Conversation, msg string) *Reply {
	t.Helper()
	r, err := c.Send(context.Background(), msg, nil)
	if err != nil {
		t.Fatalf("send %q: %v", msg, err)
	}
	return r
}

// freshAnswer is the greedy answer to the whole conversation rendered and
// prefilled from scratch.
func freshAnswer(t *testing.T, c *Conversation, turns []Turn, n int) []int {
	t.Helper()
	ids, err := render(c.tok, c.m.VocabSize(), c.date, c.system, turns)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Generate(context.Background(), c.m.NewSession(len(ids)+n), ids, Options{MaxTokens: n})
	if err != nil {
		t.Fatal(err)
	}
	return res.IDs
}

// TestConversationReusesCache: the second turn prefills only what the cache
// lacks and answers exactly as a from-scratch prefill of the conversation.
func TestConversationReusesCache(t *testing.T) {
	t.Parallel()
	c := newConv(t, 512, 8, "Be brief.")
	r1 := send(t, c, "Hello")
	if r1.Finish != FinishLength || len(r1.IDs) != 8 || r1.Text == "" || r1.Dropped != 0 || r1.Budget != 8 {
		t.Fatalf("first reply %+v", r1)
	}
	r2 := send(t, c, "How are you?")
	whole, err := render(c.tok, c.m.VocabSize(), c.date, c.system, c.turns)
	if err != nil {
		t.Fatal(err)
	}
	if r2.PromptTokens >= len(whole)-r1.PromptTokens+2 || r2.PromptTokens < 5 {
		t.Errorf("second turn prefilled %d of %d tokens (first turn %d)", r2.PromptTokens, len(whole), r1.PromptTokens)
	}
	if want := freshAnswer(t, c, c.turns, 8); !slices.Equal(r2.IDs, want) {
		t.Errorf("cached answer %v, fresh %v", r2.IDs, want)
	}
	if c.Turns() != 2 || c.turns[1].Assistant != r2.Text || c.turns[0].Assistant != r1.Text {
		t.Errorf("turns %+v", c.turns)
	}
	// /clear keeps the system prompt; the cache's common prefix is reused
	// and the answer is the first one again (greedy).
	c.Clear()
	r3 := send(t, c, "Hello")
	if !slices.Equal(r3.IDs, r1.IDs) || r3.PromptTokens >= r1.PromptTokens {
		t.Errorf("after Clear: ids %v prefilled %d; want %v and fewer than %d", r3.IDs, r3.PromptTokens, r1.IDs, r1.PromptTokens)
	}
	used, size, err := c.Context()
	if err != nil || used < r1.PromptTokens || used > r1.PromptTokens+8+1 || size != 512 {
		t.Errorf("Context() = %d, %d, %v", used, size, err)
	}
}

// TestConversationDropsOldTurns: in a small context the oldest turns go,
// the system prompt stays, and the answer is that of the trimmed
// conversation.
func TestConversationDropsOldTurns(t *testing.T) {
	t.Parallel()
	const ctxLen, n = 120, 16
	c := newConv(t, ctxLen, n, "You are a pirate.")
	msgs := []string{"first message", "second message", "third message", "fourth message", "fifth message"}
	dropped, heard := 0, 0
	c.OnTrim = func(d, budget int) {
		if budget != n {
			t.Errorf("OnTrim budget %d", budget)
		}
		heard += d
	}
	for i, m := range msgs {
		before := slices.Clone(c.turns)
		r := send(t, c, m)
		dropped += r.Dropped
		if c.turns[len(c.turns)-1].User != m || len(c.turns) != len(before)+1-r.Dropped {
			t.Fatalf("turn %d: turns %+v after dropping %d", i, c.turns, r.Dropped)
		}
		if r.Dropped > 0 {
			if want := freshAnswer(t, c, c.turns, n); !slices.Equal(r.IDs, want) {
				t.Errorf("turn %d: answer %v, trimmed conversation gives %v", i, r.IDs, want)
			}
		}
		used, _, err := c.Context()
		if err != nil || used > ctxLen {
			t.Errorf("turn %d: %d positions used of %d (%v)", i, used, ctxLen, err)
		}
	}
	if dropped == 0 || heard != dropped || c.turns[0].User == msgs[0] {
		t.Fatalf("nothing dropped: turns %+v", c.turns)
	}
	text, _, err := c.tok.EncodeChat(messages(c.system, c.turns, false), tokenizer.ChatOptions{DateString: c.date})
	if err != nil || !strings.Contains(text, "You are a pirate.") || strings.Contains(text, msgs[0]) {
		t.Errorf("trimmed conversation %q (%v)", text, err)
	}
}

func TestConversationLimits(t *testing.T) {
	t.Parallel()
	m := fixtureModel(t)
	long := strings.Repeat("word ", 80)
	c := newConv(t, 60, 16, "")
	var rej *RejectedError
	if _, err := c.Send(context.Background(), long, nil); !errors.As(err, &rej) || !strings.Contains(err.Error(), "the context has 60") {
		t.Errorf("too long: %v", err)
	}
	if _, err := c.Send(context.Background(), "<|image|>What is this?", nil); !errors.As(err, &rej) || !strings.Contains(err.Error(), `token "<|image|>" (id 128256) is outside`) {
		t.Errorf("<|image|>: %v", err)
	}
	if c.Turns() != 0 {
		t.Errorf("rejected messages were kept: %+v", c.turns)
	}
	// A message that fits but leaves less than MaxTokens: the answer is cut to the rest.
	ids, err := ChatPrompt(c.tok, m.VocabSize(), "", "Hello")
	if err != nil {
		t.Fatal(err)
	}
	c = newConv(t, len(ids)+4, 16, "")
	r := send(t, c, "Hello")
	if r.Budget != 5 || len(r.IDs) != 5 || r.Finish != FinishLength {
		t.Errorf("budget %d, %d ids, finish %s; want 5, 5, length", r.Budget, len(r.IDs), r.Finish)
	}
}

// TestConversationInterrupted: a cancelled answer is kept as far as it went
// and the conversation goes on.
func TestConversationInterrupted(t *testing.T) {
	t.Parallel()
	c := newConv(t, 512, 30, "")
	ctx, cancel := context.WithCancel(context.Background())
	pieces := 0
	r, err := c.Send(ctx, "Hello", func(s string) error {
		if pieces++; pieces == 3 {
			cancel()
		}
		return nil
	})
	if err != nil || r.Finish != FinishInterrupted || len(r.IDs) >= 30 || len(r.IDs) < 3 || c.Turns() != 1 || c.turns[0].Assistant != r.Text || r.Text == "" {
		t.Fatalf("interrupted: err %v reply %+v turns %+v", err, r, c.turns)
	}
	r2 := send(t, c, "Go on")
	if want := freshAnswer(t, c, c.turns, 30); !slices.Equal(r2.IDs, want) {
		t.Errorf("after the interruption: %v, fresh %v", r2.IDs, want)
	}
	// Cancelled before anything: the turn is kept with an empty answer.
	done, cancel2 := context.WithCancel(context.Background())
	cancel2()
	r3, err := c.Send(done, "Stop", nil)
	if err != nil || r3.Finish != FinishInterrupted || len(r3.IDs) != 0 || c.Turns() != 3 {
		t.Errorf("cancelled at once: %v %+v", err, r3)
	}
}
