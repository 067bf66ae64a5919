package main

import (
	"errors"
	"fmt"

	"github.com/ct2go/ct2go/verify"
)

// wordCorpus words verify's corpus window problems with the flags a user
// typed (--ctx, --chunks); other errors pass through.
func wordCorpus(err error) error {
	var e *verify.CorpusError
	if !errors.As(err, &e) {
		return err
	}
	switch e.Problem {
	case verify.CtxTooSmall:
		return fmt.Errorf("--ctx %d: a window needs at least 3 tokens (positions ctx/2 … ctx-2 are scored)", e.Ctx)
	case verify.CtxTooLong:
		return fmt.Errorf("--ctx %d is longer than the model's %d positions (%s)", e.Ctx, e.MaxPositions, e.Source)
	case verify.TooFewTokens:
		return fmt.Errorf("%s: %d tokens (with <|begin_of_text|>), fewer than one window of --ctx %d", e.Path, e.Tokens, e.Ctx)
	case verify.TooManyChunks:
		return fmt.Errorf("%s: %d tokens hold %d windows of --ctx %d, not the %d asked for by --chunks", e.Path, e.Tokens, e.Fit, e.Ctx, e.Chunks)
	case verify.ReferenceTooShort:
		return fmt.Errorf("%s: %d windows, the text gives %d: use --chunks %d or remake the reference", e.Path, e.Fit, e.Chunks, e.Fit)
	case verify.ReferenceMismatch:
		return fmt.Errorf("%s: window %s differs from the text's (%d tokens vs --ctx %d): made from another text, --ctx or tokenizer", e.Path, e.Window, e.Tokens, e.Ctx)
	}
	return err
}
