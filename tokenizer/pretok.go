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
	for _, e := range unicode16 {
		for c := e.lo; c <= e.hi && c < 0x10000; c++ {
			bmpClass[c] = e.cls
		}
	}
	for c := 0; c < 128; c++ {
		asciiClass[c] = bmpClass[c]
	}
}

// unicode16 lists the letters and numbers that Unicode 15.1 and 16.0 added (CJK Extension I,
// Garay, Gurung Khema, Kirat Rai, Sunuwar, Todhri, Tulu-Tigalari, Egyptian Hieroglyphs
// Extended-A, ...). Go 1.26's unicode tables are Unicode 15.0.0, while HF tokenizers' Oniguruma
// classifies with Unicode 16.0. Measured, not transcribed: every code point was pre-tokenized as
// "!X!" by npm tokenizers 0.23.2 and compared with this package's classes; these 29 ranges
// (5004 code points) were the only differences (scripts/bench-tokenizer/classes.mjs re-checks).
var unicode16 = []struct {
	lo, hi rune
	cls    uint8
}{
	{0x1C89, 0x1C8A, clsLetter}, {0xA7CB, 0xA7CD, clsLetter}, {0xA7DA, 0xA7DC, clsLetter},
	{0x105C0, 0x105F3, clsLetter}, {0x10D40, 0x10D49, clsNumber}, {0x10D4A, 0x10D65, clsLetter},
	{0x10D6F, 0x10D85, clsLetter}, {0x10EC2, 0x10EC4, clsLetter}, {0x11380, 0x11389, clsLetter},
	{0x1138B, 0x1138B, clsLetter}, {0x1138E, 0x1138E, clsLetter}, {0x11390, 0x113B5, clsLetter},
	{0x113B7, 0x113B7, clsLetter}, {0x113D1, 0x113D1, clsLetter}, {0x113D3, 0x113D3, clsLetter},
	{0x116D0, 0x116E3, clsNumber}, {0x11BC0, 0x11BE0, clsLetter}, {0x11BF0, 0x11BF9, clsNumber},
	{0x13460, 0x143FA, clsLetter}, {0x16100, 0x1611D, clsLetter}, {0x16130, 0x16139, clsNumber},
	{0x16D40, 0x16D6C, clsLetter}, {0x16D70, 0x16D79, clsNumber}, {0x18CFF, 0x18CFF, clsLetter},
	{0x1CCF0, 0x1CCF9, clsNumber}, {0x1E5D0, 0x1E5ED, clsLetter}, {0x1E5F0, 0x1E5F0, clsLetter},
	{0x1E5F1, 0x1E5FA, clsNumber}, {0x2EBF0, 0x2EE5D, clsLetter},
}

// slowClass uses Unicode White_Space for \s (unicode.IsSpace: Oniguruma's and Rust regex's
// Unicode \s; includes NEL U+0085 and NBSP U+00A0, excludes ZWSP U+200B, BOM U+FEFF and the
// information separators U+001C..U+001F, as the golden ws_probe_* cases confirm).
func slowClass(r rune) uint8 {
	if r >= 0x1C89 && r <= 0x2EE5D {
		for _, e := range unicode16 {
			if r >= e.lo && r <= e.hi {
				return e.cls
			}
		}
	}
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

// ClassSignature is how "!X!" splits for the code point X, in the letters classes.mjs in
// scripts/bench-tokenizer records for HF tokenizers: 'L' letter (and CR, LF, which join the
// "!"), 'N' number or whitespace other than the space, 'S' space, 'O' other.
func ClassSignature(r rune) byte {
	s := "!" + string(r) + "!"
	var ends []int
	n := 0
	splitLlama3(s, func(p string) { n += len(p); ends = append(ends, n) })
	switch {
	case len(ends) == 1:
		return 'O'
	case len(ends) == 3:
		return 'N'
	case ends[0] == 1:
		return 'S'
	}
	return 'L'
}
