package tokenizer

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func pieces(s string) []string {
	var out []string
	splitLlama3(s, func(p string) { out = append(out, p) })
	return out
}

func TestPreTokenizerRules(t *testing.T) {
	for _, c := range []struct {
		name string
		in   string
		want []string
	}{
		{"words", "Hello world", []string{"Hello", " world"}},
		{"digits_groups_of_3", "1234567", []string{"123", "456", "7"}},
		{"digits_after_letters", "abc12345", []string{"abc", "123", "45"}},
		{"unicode_digits", "٠١٢٣", []string{"٠١٢", "٣"}},
		{"other_numbers", "½²Ⅻ", []string{"½²Ⅻ"}},
		{"contraction_lower", "don't", []string{"don", "'t"}},
		{"contraction_upper", "DON'T WE'LL", []string{"DON", "'T", " WE", "'LL"}},
		{"contraction_mixed", "It'S We'Ll", []string{"It", "'S", " We", "'Ll"}},
		{"contraction_first", "'sup", []string{"'s", "up"}},
		{"contraction_long_s", "x'ſ", []string{"x", "'ſ"}},
		{"not_contraction", "'hello", []string{"'hello"}},
		{"curly_apostrophe", "don’t", []string{"don", "’t"}},
		{"punct_prefix_letter", "(foo)", []string{"(foo", ")"}},
		{"space_punct", "a !!", []string{"a", " !!"}},
		{"punct_then_newlines", "x.\r\n\ny", []string{"x", ".\r\n\n", "y"}},
		{"ws_before_word_gives_back_one", "a   b", []string{"a", "  ", " b"}},
		{"ws_at_end_kept_whole", "a   ", []string{"a", "   "}},
		{"single_ws_before_punct", "a\t!", []string{"a", "\t", "!"}},
		{"tab_prefix_word", "a\tb", []string{"a", "\tb"}},
		{"newline_run_then_space_word", "a\n\n  b", []string{"a", "\n\n", " ", " b"}},
		{"spaces_then_newline", "a  \n b", []string{"a", "  \n", " b"}},
		{"last_newline_in_run", " \n \n x", []string{" \n \n", " x"}},
		{"newline_not_prefix", "\nfoo", []string{"\n", "foo"}},
		{"cr_alone", "a\rb", []string{"a", "\r", "b"}},
		{"nbsp_is_space", "a\u00a0\u00a0b", []string{"a", "\u00a0", "\u00a0b"}},
		{"ideographic_space", "a\u3000b", []string{"a", "\u3000b"}},
		{"nel_is_space", "\u0085\u0085  x", []string{"\u0085\u0085 ", " x"}},
		{"zwsp_not_space", "\u200b\u200b x", []string{"\u200b\u200b", " x"}},
		{"info_sep_not_space", "\x1c\x1c x", []string{"\x1c\x1c", " x"}},
		{"combining_marks", "नमस्ते", []string{"नमस", "्त", "े"}},
		{"emoji", "hi 👋!", []string{"hi", " 👋!"}},
		{"invalid_utf8", "a\xffb", []string{"a", "\xffb"}},
		{"empty", "", nil},
		// Unicode 16 letters/digits (Egyptian Hieroglyphs Extended-A, Garay digits, CJK Ext I):
		// pieces observed from HF tokenizers.
		{"unicode16_letter", "\U00013590(m", []string{"\U00013590", "(m"}},
		{"unicode16_digits", "x\U00010D40\U00010D41\U00010D42\U00010D43", []string{"x", "\U00010D40\U00010D41\U00010D42", "\U00010D43"}},
		{"cjk_ext_i", "!\U0002EBF0!", []string{"!\U0002EBF0", "!"}},
		{"latin_ext_16", "!\uA7CB!", []string{"!\uA7CB", "!"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := pieces(c.in); !slices.Equal(got, c.want) {
				t.Errorf("pieces(%q)\n got %q\nwant %q", c.in, got, c.want)
			}
		})
	}
}

// refSplitter is an independent reading of the Split regex: each alternative compiled on its own
// with Go's regexp (leftmost-first, like a backtracking engine for a single alternative), tried
// in pattern order at the current position; \s spelled out as Unicode White_Space since RE2's \s
// is ASCII-only; the look-ahead alternative checked by hand.
type refSplitter struct{ alts []*regexp.Regexp }

const wsClass = `\t\n\v\f\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}`

func newRefSplitter() *refSplitter {
	alts := []string{
		`(?i:'s|'t|'re|'ve|'m|'ll|'d)`,
		`[^\r\n\p{L}\p{N}]?\p{L}+`,
		`\p{N}{1,3}`,
		` ?[^` + wsClass + `\p{L}\p{N}]+[\r\n]*`,
		`[` + wsClass + `]*[\r\n]+`,
		`[` + wsClass + `]+`, // \s+(?!\S), look-ahead applied in next()
		`[` + wsClass + `]+`,
	}
	r := &refSplitter{}
	for _, a := range alts {
		r.alts = append(r.alts, regexp.MustCompile(`\A(?:`+a+`)`))
	}
	return r
}

func (r *refSplitter) next(s string) int {
	for k, re := range r.alts {
		loc := re.FindStringIndex(s)
		if loc == nil {
			continue
		}
		if k != 5 {
			return loc[1]
		}
		// \s+(?!\S): shrink the run until the next rune is not a non-space.
		run := []rune(s[:loc[1]])
		for n := len(run); n >= 1; n-- {
			end := len(string(run[:n]))
			if end == len(s) || r.alts[6].MatchString(s[end:]) {
				return end
			}
		}
	}
	_, w := firstRune(s)
	return w // unreachable for valid UTF-8: every rune starts some alternative
}

func firstRune(s string) (rune, int) {
	for i, r := range s {
		if i > 0 {
			return r, i
		}
	}
	return 0, len(s)
}

func (r *refSplitter) split(s string) []string {
	var out []string
	for len(s) > 0 {
		n := r.next(s)
		out = append(out, s[:n])
		s = s[n:]
	}
	return out
}

// TestPreTokenizerMatchesRegexReference compares the scanner with refSplitter on random strings
// over an alphabet chosen to hit every alternative and boundary.
func TestPreTokenizerMatchesRegexReference(t *testing.T) {
	alphabet := []string{"a", "Z", "é", "ſ", "s", "S", "t", "r", "e", "v", "m", "l", "L", "d", "'", "’",
		"1", "٣", "½", " ", "  ", "\t", "\n", "\r", "\r\n", "\v", "\f", "\u0085", "\u00a0", "\u3000",
		"\u2028", "\u200b", "\ufeff", "\x1c", ".", "!", "(", "-", "_", "👋", "\u200d", "्", "中", "<|", "|>", "#"}
	// The reference uses Go's regexp tables (Unicode 15.0), so Unicode 16 additions stay out of
	// the alphabet here; TestPreTokenizerRules covers them.
	ref := newRefSplitter()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		for n := rng.IntN(12); n >= 0; n-- {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		s := b.String()
		if got, want := pieces(s), ref.split(s); !slices.Equal(got, want) {
			t.Fatalf("pieces(%q)\n got %q\nwant %q", s, got, want)
		}
	}
}

func TestClassTable(t *testing.T) {
	for r := rune(0); r < 0x10000; r++ {
		if got, want := bmpClass[r], slowClass(r); got != want {
			t.Fatalf("class of U+%04X: table %d, unicode %d", r, got, want)
		}
	}
}
