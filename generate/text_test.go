package generate

import (
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/ct2go/ct2go/internal/testfix"
	"github.com/ct2go/ct2go/tokenizer"
)

var (
	tokOnce sync.Once
	tok     *tokenizer.Tokenizer
	tokErr  error
)

// fixtureTokenizer is tiny-mllama's tokenizer (Llama 3.2's, with its chat template).
func fixtureTokenizer(t *testing.T) *tokenizer.Tokenizer {
	t.Helper()
	dir := testfix.Path(t, "tiny-mllama")
	tokOnce.Do(func() { tok, tokErr = tokenizer.Load(dir) })
	if tokErr != nil {
		t.Fatal(tokErr)
	}
	return tok
}

func streamAll(d Decoder, ids []int) string {
	s := d.NewStream()
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(s.Add(id))
	}
	b.WriteString(s.Flush())
	return b.String()
}

// TestVocabularyDecoder: decoding with vocabulary.json alone (streamed, one
// id at a time) gives what the tokenizer's decode without clean-up gives, on
// text ids, special ids and random ids (which split UTF-8 characters and make
// ill-formed byte sequences).
func TestVocabularyDecoder(t *testing.T) {
	t.Parallel()
	tk := fixtureTokenizer(t)
	m := fixtureModel(t)
	dec := VocabularyDecoder(m.Vocabulary())
	cases := [][]int{
		tk.Encode("Hello, world! Grüße, 你好 🙂 — naïve café\n\ttabs", true),
		append(tk.Encode("<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>", false), 128009, 128255, 128001),
		{},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 300; i++ {
		ids := make([]int, 1+rng.IntN(12))
		for j := range ids {
			if rng.IntN(8) == 0 {
				ids[j] = 128000 + rng.IntN(256)
			} else {
				ids[j] = rng.IntN(128000)
			}
		}
		cases = append(cases, ids)
	}
	// Ids of single bytes that form a split and an ill-formed sequence.
	byteID := func(b byte) int {
		id, ok := m.TokenID(tokenizer.ByteLevelToken([]byte{b}))
		if !ok {
			t.Fatalf("no token for byte %#x", b)
		}
		return id
	}
	cases = append(cases,
		[]int{byteID(0xE4), byteID(0xBD), byteID(0xA0)},               // 你 split in three
		[]int{byteID(0xE4), byteID(0xBD), byteID('A')},                // truncated: one U+FFFD
		[]int{byteID(0xC0), byteID(0x80), byteID(0xF0), byteID(0x9F)}, // never valid: one each; truncated tail
	)
	for _, ids := range cases {
		want := tk.DecodeRaw(ids, true)
		if got := streamAll(dec, ids); got != want {
			t.Errorf("ids %v: vocabulary decoder %q, tokenizer %q", ids, got, want)
		}
	}
}

func TestStopFilter(t *testing.T) {
	t.Parallel()
	cases := []struct {
		stops  []string
		pieces []string
		want   []string // emitted per piece, then the flush
		hit    bool
	}{
		{nil, []string{"ab", "c"}, []string{"ab", "c", ""}, false},
		{[]string{"END"}, []string{"ab", "cE", "N", "D more"}, []string{"ab", "c", "", "", ""}, true},
		{[]string{"END"}, []string{"ab", "cE", "N", "x"}, []string{"ab", "c", "", "ENx", ""}, false},
		{[]string{"END"}, []string{"xEN"}, []string{"x", "EN"}, false}, // held tail released at the end
		{[]string{"\n\n", "User:"}, []string{"one\n", "\ntwo"}, []string{"one", "", ""}, true},
		{[]string{"abc", "b"}, []string{"xab"}, []string{"xa", ""}, true}, // earliest match wins
		{[]string{"aab"}, []string{"aa", "aab"}, []string{"", "aa", ""}, true},
	}
	for _, c := range cases {
		f := &stopFilter{stops: c.stops}
		var got []string
		for _, p := range c.pieces {
			got = append(got, f.add(p))
			if f.hit {
				break
			}
		}
		got = append(got, f.flush())
		if strings.Join(got, "|") != strings.Join(c.want, "|") || f.hit != c.hit {
			t.Errorf("stops %q pieces %q: got %q hit %v, want %q hit %v", c.stops, c.pieces, got, f.hit, c.want, c.hit)
		}
	}
}
