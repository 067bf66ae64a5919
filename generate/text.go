package generate

import (
	"strings"
	"unicode/utf8"

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
		d.bytes[i] = byteLevelBytes(tok)
	}
	return d
}

type vocabDecoder struct{ bytes [][]byte }

func (d *vocabDecoder) NewStream() TextStream { return &byteStream{d: d} }

// byteToRune is GPT-2's bytes_to_unicode table.
var byteToRune = func() (t [256]rune) {
	n := 0
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			t[b] = rune(b)
		} else {
			t[b] = rune(256 + n)
			n++
		}
	}
	return t
}()

var runeToByte = func() map[rune]byte {
	m := make(map[rune]byte, 256)
	for b, r := range byteToRune {
		m[r] = byte(b)
	}
	return m
}()

func byteLevelBytes(tok string) []byte {
	out := make([]byte, 0, len(tok))
	for _, r := range tok {
		b, ok := runeToByte[r]
		if !ok {
			return []byte(tok)
		}
		out = append(out, b)
	}
	return out
}

// byteStream emits text once its bytes form complete UTF-8 characters (a
// token may end inside a character); ill-formed bytes become U+FFFD.
type byteStream struct {
	d   *vocabDecoder
	buf []byte
}

func (s *byteStream) Add(id int) string {
	if id < 0 || id >= len(s.d.bytes) {
		return ""
	}
	s.buf = append(s.buf, s.d.bytes[id]...)
	// Hold back a trailing incomplete (but so far valid) sequence.
	n := len(s.buf)
	for back := 1; back <= 3 && back <= len(s.buf); back++ {
		c := s.buf[len(s.buf)-back]
		if c < 0x80 {
			break
		}
		if c >= 0xC0 { // a lead byte: is its sequence complete?
			if !utf8.FullRune(s.buf[len(s.buf)-back:]) {
				n = len(s.buf) - back
			}
			break
		}
	}
	out := lossyUTF8(s.buf[:n])
	s.buf = append(s.buf[:0], s.buf[n:]...)
	return out
}

func (s *byteStream) Flush() string {
	out := lossyUTF8(s.buf)
	s.buf = s.buf[:0]
	return out
}

// lossyUTF8 replaces ill-formed UTF-8 as Rust's String::from_utf8_lossy
// does (what HF tokenizers' decode gives): one U+FFFD per maximal subpart
// of an ill-formed sequence (Unicode 15 §3.9, "U+FFFD substitution of
// maximal subparts"), where Go's range loop would give one per byte.
func lossyUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for i := 0; i < len(b); {
		r, w := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || w > 1 {
			sb.Write(b[i : i+w])
			i += w
			continue
		}
		sb.WriteRune(utf8.RuneError)
		i += maximalSubpart(b[i:])
	}
	return sb.String()
}

// maximalSubpart is the length (>= 1) of the longest prefix of b that
// starts a well-formed sequence without completing one (Unicode Table 3-7).
func maximalSubpart(b []byte) int {
	var need int
	lo, hi := byte(0x80), byte(0xBF) // allowed range of the second byte
	switch c := b[0]; {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c == 0xED:
		need, hi = 2, 0x9F
	case c >= 0xE1 && c <= 0xEF:
		need = 2
	case c == 0xF0:
		need, lo = 3, 0x90
	case c == 0xF4:
		need, hi = 3, 0x8F
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	default:
		return 1
	}
	n := 1
	for ; n <= need && n < len(b); n++ {
		if c := b[n]; (n == 1 && (c < lo || c > hi)) || (n > 1 && (c < 0x80 || c > 0xBF)) {
			break
		}
	}
	return n
}

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
