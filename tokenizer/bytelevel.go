package tokenizer

import "unicode/utf8"

// byteToRune is GPT-2's bytes_to_unicode table (also used by HF tokenizers' ByteLevel): printable
// Latin-1 bytes map to themselves, the other 68 bytes map to U+0100.. in byte order, so every
// byte becomes a visible character (space -> 'Ġ' U+0120, newline -> 'Ċ' U+010A).
var byteToRune [256]rune

// runeToByte inverts byteToRune (all of whose runes are below 0x144); -1 marks runes outside
// the byte-level alphabet.
var runeToByte [0x144]int16

func init() {
	for i := range runeToByte {
		runeToByte[i] = -1
	}
	n := 0
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			byteToRune[b] = rune(b)
		} else {
			byteToRune[b] = rune(256 + n)
			n++
		}
		runeToByte[byteToRune[b]] = int16(b)
	}
}

// byteLevelEncode maps raw bytes to their byte-level string.
func byteLevelEncode(b []byte) string {
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = utf8.AppendRune(out, byteToRune[c])
	}
	return string(out)
}

// byteLevelDecode maps a byte-level string back to raw bytes. ok is false when a rune is outside
// the alphabet; HF's ByteLevel decoder then keeps the token's own UTF-8 bytes
// (tokenizers/src/pre_tokenizers/byte_level.rs, decode_chain).
func byteLevelDecode(s string) (raw []byte, ok bool) {
	raw = make([]byte, 0, len(s))
	for _, r := range s {
		if r >= rune(len(runeToByte)) || runeToByte[r] < 0 {
			return []byte(s), false
		}
		raw = append(raw, byte(runeToByte[r]))
	}
	return raw, true
}

// appendLossyUTF8 appends b to dst replacing ill-formed sequences with U+FFFD the way Rust's
// String::from_utf8_lossy does (one U+FFFD per maximal subpart of an ill-formed sequence, the
// Unicode "best practice"): a truncated but valid prefix such as E4 BD gives one U+FFFD, while
// C0 80 (never valid) gives two. Go's utf8.DecodeRune would give one per byte instead.
func appendLossyUTF8(dst []byte, b []byte) []byte {
	if utf8.Valid(b) { // the common case, checked word-at-a-time
		return append(dst, b...)
	}
	for i := 0; i < len(b); {
		c := b[i]
		if c < 0x80 {
			dst = append(dst, c)
			i++
			continue
		}
		n, valid := utf8Prefix(b[i:])
		if valid {
			dst = append(dst, b[i:i+n]...)
		} else {
			dst = append(dst, "\uFFFD"...)
		}
		i += n
	}
	return dst
}

// utf8Prefix inspects the sequence starting at b[0] (b non-empty, b[0] >= 0x80). It returns the
// length of a complete valid sequence (valid=true), or the length of the maximal ill-formed
// subpart to replace by one U+FFFD (valid=false, n >= 1).
func utf8Prefix(b []byte) (n int, valid bool) {
	need, lo, hi := seqInfo(b[0])
	if need == 0 {
		return 1, false
	}
	for k := 1; k <= need; k++ {
		if k >= len(b) {
			return k, false // truncated valid prefix
		}
		c := b[k]
		l, h := byte(0x80), byte(0xBF)
		if k == 1 {
			l, h = lo, hi
		}
		if c < l || c > h {
			return k, false
		}
	}
	return need + 1, true
}

// seqInfo gives, for a lead byte, the number of continuation bytes and the allowed range of the
// first one (Unicode Table 3-7, well-formed UTF-8 byte sequences). need 0 = never a lead byte.
func seqInfo(c byte) (need int, lo, hi byte) {
	switch {
	case c >= 0xC2 && c <= 0xDF:
		return 1, 0x80, 0xBF
	case c == 0xE0:
		return 2, 0xA0, 0xBF
	case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
		return 2, 0x80, 0xBF
	case c == 0xED:
		return 2, 0x80, 0x9F
	case c == 0xF0:
		return 3, 0x90, 0xBF
	case c >= 0xF1 && c <= 0xF3:
		return 3, 0x80, 0xBF
	case c == 0xF4:
		return 3, 0x80, 0x8F
	}
	return 0, 0, 0
}

// ByteLevelToken is the byte-level string of raw bytes (GPT-2's bytes_to_unicode), the form
// byte-level BPE vocabularies such as CTranslate2's vocabulary.json store tokens in.
func ByteLevelToken(raw []byte) string { return byteLevelEncode(raw) }

// ByteLevelBytes is the raw bytes of a byte-level token; a token with a character outside the
// byte alphabet stands for its own UTF-8 bytes, as in HF's ByteLevel decoder.
func ByteLevelBytes(tok string) []byte {
	raw, _ := byteLevelDecode(tok)
	return raw
}

// ByteStream turns a stream of raw token bytes into text: Write returns the text that is
// final (a trailing, still valid but incomplete UTF-8 sequence is held back), Flush the rest;
// ill-formed bytes become U+FFFD as in Decode.
type ByteStream struct{ buf []byte }

func (s *ByteStream) Write(raw []byte) string {
	s.buf = append(s.buf, raw...)
	n := completePrefix(s.buf)
	if n == 0 {
		return ""
	}
	out := string(appendLossyUTF8(nil, s.buf[:n]))
	s.buf = append(s.buf[:0], s.buf[n:]...)
	return out
}

func (s *ByteStream) Flush() string {
	out := string(appendLossyUTF8(nil, s.buf))
	s.buf = s.buf[:0]
	return out
}
