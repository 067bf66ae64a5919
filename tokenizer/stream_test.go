package tokenizer

import (
	"math/rand/v2"
	"testing"
)

func streamAll(tok *Tokenizer, ids []int, skip bool) (string, []string) {
	d := tok.NewStreamDecoder(skip)
	var out string
	var chunks []string
	for _, id := range ids {
		s := d.Add(id)
		chunks = append(chunks, s)
		out += s
	}
	s := d.Flush()
	return out + s, append(chunks, s)
}

func TestStreamDecoderSplitUTF8(t *testing.T) {
	tok := fixtureTokenizer(t)
	// "你" is E4 BD A0 = byte tokens 160 121 254 (golden utf8_complete_3): nothing is emitted until
	// the third byte arrives.
	_, chunks := streamAll(tok, []int{160, 121, 254}, false)
	if chunks[0] != "" || chunks[1] != "" || chunks[2] != "你" || chunks[3] != "" {
		t.Errorf("chunks = %q", chunks)
	}
	// A truncated character at the end becomes one U+FFFD on Flush.
	_, chunks = streamAll(tok, []int{160, 121}, false)
	if chunks[0] != "" || chunks[1] != "" || chunks[2] != "\uFFFD" {
		t.Errorf("chunks = %q", chunks)
	}
	// An invalid continuation is replaced right away.
	_, chunks = streamAll(tok, []int{160, 32}, false)
	if chunks[0] != "" || chunks[1] != "\uFFFDA" {
		t.Errorf("chunks = %q", chunks)
	}
	// Emoji split over tokens (golden zwj_roundtrip ids) streams to the same text as Decode.
	ids := []int{9468, 239, 101, 102470, 9468, 239, 102}
	if got, want := func() string { s, _ := streamAll(tok, ids, false); return s }(), tok.Decode(ids, false); got != want {
		t.Errorf("stream %q, decode %q", got, want)
	}
}

// TestStreamDecoderEqualsDecode checks the stream invariant on random id sequences biased to
// byte tokens, specials and clean-up patterns, with and without clean-up and skipping.
func TestStreamDecoderEqualsDecode(t *testing.T) {
	tok := fixtureTokenizer(t)
	interesting := tok.Encode("Hello , world . don 't ' s n't 'm 're 've ! ? é 你 👋 ", false)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, cleanup := range []bool{true, false} {
		tok2 := *tok
		tok2.cleanup = cleanup
		for i := 0; i < 3000; i++ {
			ids := make([]int, rng.IntN(20))
			for j := range ids {
				switch r := rng.IntN(10); {
				case r < 4:
					ids[j] = rng.IntN(256) // single bytes incl. partial UTF-8
				case r < 8:
					ids[j] = interesting[rng.IntN(len(interesting))]
				case r < 9:
					ids[j] = 128000 + rng.IntN(12)
				default:
					ids[j] = rng.IntN(tok.VocabSize() + 5) // includes unknown ids
				}
			}
			for _, skip := range []bool{false, true} {
				got, _ := streamAll(&tok2, ids, skip)
				if want := tok2.Decode(ids, skip); got != want {
					t.Fatalf("cleanup=%v skip=%v ids=%v\nstream %q\ndecode %q", cleanup, skip, ids, got, want)
				}
			}
		}
	}
}
