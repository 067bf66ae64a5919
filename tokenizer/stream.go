package tokenizer

import "strings"

// StreamDecoder decodes ids one at a time for streaming generation. Text is emitted as soon as
// its bytes form complete UTF-8 (a token can end in the middle of a character); the
// concatenation of everything Add and Flush return equals Decode of all ids, including
// clean_up_tokenization_spaces when the tokenizer applies it.
type StreamDecoder struct {
	t           *Tokenizer
	skipSpecial bool
	cleanup     bool
	bytes       []byte // undecoded tail: a valid but incomplete UTF-8 sequence (at most 3 bytes)
	text        []byte // decoded text held back for clean-up (see safeCut)
}

// NewStreamDecoder starts a stream; skipSpecial drops special tokens as Decode does.
func (t *Tokenizer) NewStreamDecoder(skipSpecial bool) *StreamDecoder {
	return &StreamDecoder{t: t, skipSpecial: skipSpecial, cleanup: t.cleanup}
}

// Add consumes one id and returns the text that became final ("" if none yet).
func (d *StreamDecoder) Add(id int) string {
	t := d.t
	if id < 0 || id >= len(t.decoded) || !t.isSet[id] || (d.skipSpecial && t.isSpecial[id]) {
		return ""
	}
	d.bytes = append(d.bytes, t.decoded[id]...)
	n := completePrefix(d.bytes)
	if n == 0 {
		return ""
	}
	if !d.cleanup {
		out := string(appendLossyUTF8(nil, d.bytes[:n]))
		d.bytes = append(d.bytes[:0], d.bytes[n:]...)
		return out
	}
	d.text = appendLossyUTF8(d.text, d.bytes[:n])
	d.bytes = append(d.bytes[:0], d.bytes[n:]...)
	cut := safeCut(d.text)
	if cut == 0 {
		return ""
	}
	out := CleanUpTokenization(string(d.text[:cut]))
	d.text = append(d.text[:0], d.text[cut:]...)
	return out
}

// Flush ends the stream: an incomplete trailing sequence becomes U+FFFD, as in Decode.
func (d *StreamDecoder) Flush() string {
	s := string(appendLossyUTF8(d.text, d.bytes))
	d.text, d.bytes = d.text[:0], d.bytes[:0]
	if d.cleanup {
		s = CleanUpTokenization(s)
	}
	return s
}

// completePrefix returns how many leading bytes of b can be decoded now: everything except a
// trailing sequence that is still a valid prefix of some UTF-8 character.
func completePrefix(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-3; i-- {
		c := b[i]
		if c < 0x80 {
			return len(b)
		}
		if c >= 0xC0 { // lead byte: is the tail from here an incomplete but valid prefix?
			n, valid := utf8Prefix(b[i:])
			if !valid && i+n == len(b) {
				if need, _, _ := seqInfo(c); need > 0 {
					return i
				}
			}
			return len(b)
		}
	}
	return len(b)
}

// cleanupChars are all characters in clean_up_tokenization's patterns. A replacement only deletes
// a space and every pattern is made of these characters, so no match can ever span a position
// right after a character outside this set: cleaning the text before and after such a cut
// separately gives the same result as cleaning it whole.
const cleanupChars = " .?!,'nmstvre"

// safeCut returns the end of the longest prefix of text that can be cleaned independently.
func safeCut(text []byte) int {
	for i := len(text) - 1; i >= 0; i-- {
		if c := text[i]; c >= 0x80 || !strings.ContainsRune(cleanupChars, rune(c)) {
			return i + 1
		}
	}
	return 0
}
