package generate

import (
	"strings"

	"github.com/ct2go/ct2go/tokenizer"
)

// Decoder turns generated ids into text, one id at a time.
type Decoder interface {
	NewStream() TextStream
}

// TextStream is one stream of ids being decoded: Add returns the text that
// became final, Flush whatever is held back at the end.
type TextStream interface {
	Add(id int) string
	Flush() string
}

// TokenizerDecoder decodes with tokenizer.json (special tokens skipped, as
// transformers' decode(skip_special_tokens=True)).
func TokenizerDecoder(t *tokenizer.Tokenizer) Decoder { return tokDecoder{t} }

type tokDecoder struct{ t *tokenizer.Tokenizer }

func (d tokDecoder) NewStream() TextStream { return d.t.NewStreamDecoder(true) }

// VocabularyDecoder decodes with a CTranslate2 vocabulary.json alone (a
// model directory converted without its tokenizer files): Llama 3 tokens are
// byte-level BPE strings, so every token maps back to bytes through GPT-2's
// bytes_to_unicode table (openai/gpt-2 src/encoder.py bytes_to_unicode:
// printable Latin-1 bytes stand for themselves, the other 68 bytes for
// U+0100 onwards in byte order). Tokens written "<|...|>" are Llama 3's
// special tokens (<|begin_of_text|>, <|eot_id|>, <|reserved_special_token_N|>)
// and are skipped, as decode(skip_special_tokens=True) does. A token with a
// character outside the byte alphabet is kept as its own UTF-8 text (what
// HF's ByteLevel decoder does). Without tokenizer.json there is no
// clean_up_tokenization_spaces setting; none is applied.
func VocabularyDecoder(vocab []string) Decoder {
	d := &vocabDecoder{bytes: make([][]byte, len(vocab))}
	for i, tok := range vocab {
		if strings.HasPrefix(tok, "<|") && strings.HasSuffix(tok, "|>") && len(tok) > 4 {
			continue // special: decodes to nothing
		}
		d.bytes[i] = tokenizer.ByteLevelBytes(tok)
	}
	return d
}

type vocabDecoder struct{ bytes [][]byte }

func (d *vocabDecoder) NewStream() TextStream { return &byteStream{d: d} }

// byteStream emits text once its bytes form complete UTF-8 characters (a
// token may end inside a character); ill-formed bytes become U+FFFD.
type byteStream struct {
	d *vocabDecoder
	s tokenizer.ByteStream
}

func (s *byteStream) Add(id int) string {
	if id < 0 || id >= len(s.d.bytes) {
		return ""
	}
	return s.s.Write(s.d.bytes[id])
}

func (s *byteStream) Flush() string { return s.s.Flush() }

// stopFilter passes text through until one of the stop strings appears; it
// holds back a tail that could be the start of a stop string, and drops the
// stop string and everything after it.
type stopFilter struct {
	stops   []string
	pending string
	hit     bool
}

// add takes new text and returns what can be emitted; hit is set once a
// stop string was found.
func (f *stopFilter) add(s string) string {
	if f.hit {
		return ""
	}
	if len(f.stops) == 0 {
		return s
	}
	f.pending += s
	cut := -1
	for _, st := range f.stops {
		if i := strings.Index(f.pending, st); i >= 0 && (cut < 0 || i < cut) {
			cut = i
		}
	}
	if cut >= 0 {
		out := f.pending[:cut]
		f.pending, f.hit = "", true
		return out
	}
	// Keep the longest suffix that is a proper prefix of some stop string.
	keep := 0
	for _, st := range f.stops {
		for n := min(len(st)-1, len(f.pending)); n > keep; n-- {
			if strings.HasSuffix(f.pending, st[:n]) {
				keep = n
				break
			}
		}
	}
	out := f.pending[:len(f.pending)-keep]
	f.pending = f.pending[len(f.pending)-keep:]
	return out
}

// flush returns the held-back tail (no stop string completed it).
func (f *stopFilter) flush() string {
	out := f.pending
	f.pending = ""
	return out
}
