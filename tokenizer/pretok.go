package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// Llama3Pattern is the Split regex of every Llama 3.x tokenizer.json. It is not compiled: Go's
// regexp lacks the (?!\S) look-ahead, so splitLlama3 below implements the same leftmost-first
// (Oniguruma/backtracking) semantics by hand.
const Llama3Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`

// Character classes of the regex. Every rune is exactly one of letter (\p{L}), number (\p{N}),
// space (\s) or other; invalid UTF-8 bytes count as other, one byte each.
const (
	clsOther uint8 = iota
	clsLetter
	clsNumber
	clsSpace
)

var asciiClass [128]uint8

// bmpClass classifies the Basic Multilingual Plane by table lookup (64 KB), which is several
// times faster than unicode.IsLetter's binary searches on non-Latin text; it is filled from the
// same Unicode tables, so it agrees with slowClass (TestClassTable).
var bmpClass [0x10000]uint8

func init() {
	mark := func(tab *unicode.RangeTable, cls uint8) {
		for _, r := range tab.R16 {
			for c := int(r.Lo); c <= int(r.Hi); c += int(r.Stride) {
				if bmpClass[c] == clsOther {
					bmpClass[c] = cls
				}
			}
		}
	}
	mark(unicode.L, clsLetter)
	mark(unicode.N, clsNumber)
	mark(unicode.White_Space, clsSpace)
	for c := 0; c < 128; c++ {
		asciiClass[c] = bmpClass[c]
	}
}

// slowClass uses Unicode White_Space for \s (unicode.IsSpace: Oniguruma's and Rust regex's
// Unicode \s; includes NEL U+0085 and NBSP U+00A0, excludes ZWSP U+200B, BOM U+FEFF and the
// information separators U+001C..U+001F, as the golden ws_probe_* cases confirm).
func slowClass(r rune) uint8 {
	switch {
	case unicode.IsLetter(r):
		return clsLetter
	case unicode.IsNumber(r):
		return clsNumber
	case unicode.IsSpace(r):
		return clsSpace
	}
	return clsOther
}

// runeAt decodes the rune at s[i] and its class. i < len(s).
func runeAt(s string, i int) (r rune, w int, cls uint8) {
	c := s[i]
	if c < utf8.RuneSelf {
		return rune(c), 1, asciiClass[c]
	}
	r, w = utf8.DecodeRuneInString(s[i:])
	if r < 0x10000 {
		if r == utf8.RuneError && w <= 1 {
			return r, 1, clsOther
		}
		return r, w, bmpClass[r]
	}
	return r, w, slowClass(r)
}

// scanClass advances from i over runes of class cls and returns the end.
func scanClass(s string, i int, cls uint8) int {
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if asciiClass[c] != cls {
				return i
			}
			i++
			continue
		}
		_, w, k := runeAt(s, i)
		if k != cls {
			return i
		}
		i += w
	}
	return i
}

// splitLlama3 calls emit for every pre-token of s in order; the pieces tile s exactly.
func splitLlama3(s string, emit func(piece string)) {
	for i := 0; i < len(s); {
		j := nextPiece(s, i)
		emit(s[i:j])
		i = j
	}
}

// nextPiece returns the end of the regex match that starts at i (i < len(s)). The alternatives
// are tried in pattern order, as a backtracking engine does; every rune starts some match, so
// matches are contiguous.
func nextPiece(s string, i int) int {
	r, w, cls := runeAt(s, i)

	// 1. (?i:'s|'t|'re|'ve|'m|'ll|'d)
	if r == '\'' {
		if n := contraction(s, i+1); n > 0 {
			return i + 1 + n
		}
	}

	// 2. [^\r\n\p{L}\p{N}]?\p{L}+
	if cls == clsLetter {
		return scanClass(s, i+w, clsLetter)
	}
	if cls != clsNumber && r != '\r' && r != '\n' && i+w < len(s) {
		if _, w2, c2 := runeAt(s, i+w); c2 == clsLetter {
			return scanClass(s, i+w+w2, clsLetter)
		}
	}

	// 3. \p{N}{1,3}: digit runs split in groups of three from the left.
	if cls == clsNumber {
		j := i + w
		for k := 1; k < 3 && j < len(s); k++ {
			_, w2, c2 := runeAt(s, j)
			if c2 != clsNumber {
				break
			}
			j += w2
		}
		return j
	}

	// 4. " ?[^\s\p{L}\p{N}]+[\r\n]*"
	j := i
	if r == ' ' {
		j++
	}
	if j < len(s) {
		if _, w2, c2 := runeAt(s, j); c2 == clsOther {
			j = scanClass(s, j+w2, clsOther)
			for j < len(s) && (s[j] == '\r' || s[j] == '\n') {
				j++
			}
			return j
		}
	}
	// Here r is whitespace: a space not followed by other, or any other \s rune.

	// 5. \s*[\r\n]+ : the whitespace run up to and including its last CR/LF.
	end, lastNL, lastStart := i, -1, i
	for end < len(s) {
		rr, ww, cc := runeAt(s, end)
		if cc != clsSpace {
			break
		}
		lastStart = end
		end += ww
		if rr == '\r' || rr == '\n' {
			lastNL = end
		}
	}
	if lastNL >= 0 {
		return lastNL
	}
	// 6. \s+(?!\S): at the end of text the whole run; before a non-space the run gives back its
	// last rune (which then starts the next piece), if that leaves at least one rune.
	if end == len(s) || lastStart == i {
		return end // 7. \s+ (single whitespace rune before a non-space)
	}
	return lastStart
}

// contraction matches 's|'t|'re|'ve|'m|'ll|'d case-insensitively after the apostrophe at s[i-1]
// and returns the matched length after it (0 = none). Unicode simple case folding adds U+017F
// LATIN SMALL LETTER LONG S for 's' (Oniguruma, Rust regex and Python all fold it); no other
// non-ASCII rune folds to these letters.
func contraction(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	lower := func(k int) byte {
		if k >= len(s) {
			return 0
		}
		c := s[k]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		return c
	}
	switch lower(i) {
	case 's', 't', 'm', 'd':
		return 1
	case 'r', 'v':
		if lower(i+1) == 'e' {
			return 2
		}
	case 'l':
		if lower(i+1) == 'l' {
			return 2
		}
	case 0xC5:
		if i+1 < len(s) && s[i+1] == 0xBF { // U+017F ſ
			return 2
		}
	}
	return 0
}
