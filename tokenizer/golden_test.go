package tokenizer

import (
	"slices"
	"strconv"
	"testing"
)

func TestGoldenEncode(t *testing.T) {
	tok := fixtureTokenizer(t)
	g := loadGolden(t)
	for _, c := range g.Encode {
		t.Run(c.Name, func(t *testing.T) {
			if got := tok.Encode(c.Text, true); !slices.Equal(got, c.IDs) {
				t.Errorf("Encode(%q, true)\n got %v\nwant %v", c.Text, got, c.IDs)
			}
			got := tok.Encode(c.Text, false)
			if !slices.Equal(got, c.IDsNoSpecial) {
				t.Errorf("Encode(%q, false)\n got %v\nwant %v", c.Text, got, c.IDsNoSpecial)
			}
			if toks := tok.Tokens(c.IDsNoSpecial); !slices.Equal(toks, c.Tokens) {
				t.Errorf("Tokens\n got %q\nwant %q", toks, c.Tokens)
			}
		})
	}
}

func TestGoldenDecode(t *testing.T) {
	tok := fixtureTokenizer(t)
	g := loadGolden(t)
	if !tok.CleanUpTokenizationSpaces() {
		t.Fatal("tokenizer_config.json sets clean_up_tokenization_spaces=true; not picked up")
	}
	for _, c := range g.Decode {
		t.Run(c.Name, func(t *testing.T) {
			if got := tok.Decode(c.IDs, c.SkipSpecial); got != c.Text {
				t.Errorf("Decode(%v, %v) = %q, want %q", c.IDs, c.SkipSpecial, got, c.Text)
			}
			if got := tok.DecodeRaw(c.IDs, c.SkipSpecial); got != c.TextNoCleanup {
				t.Errorf("DecodeRaw(%v, %v) = %q, want %q", c.IDs, c.SkipSpecial, got, c.TextNoCleanup)
			}
		})
	}
}

func TestGoldenMeta(t *testing.T) {
	tok := fixtureTokenizer(t)
	g := loadGolden(t)
	if tok.BOSID() != g.Meta.BOSTokenID || tok.EOSID() != g.Meta.EOSTokenID || tok.PadID() != g.Meta.PadTokenID {
		t.Errorf("bos/eos/pad ids = %d/%d/%d, want %d/%d/%d", tok.BOSID(), tok.EOSID(), tok.PadID(),
			g.Meta.BOSTokenID, g.Meta.EOSTokenID, g.Meta.PadTokenID)
	}
	for idStr, want := range g.Meta.SpecialTokens {
		id, _ := strconv.Atoi(idStr)
		if got := tok.Token(id); got != want {
			t.Errorf("Token(%d) = %q, want %q", id, got, want)
		}
		if got, ok := tok.ID(want); !ok || got != id {
			t.Errorf("ID(%q) = %d, %v; want %d", want, got, ok, id)
		}
		if !tok.IsSpecial(id) {
			t.Errorf("IsSpecial(%d) = false", id)
		}
	}
	if tok.VocabSize() != 128257 {
		t.Errorf("VocabSize() = %d, want 128257", tok.VocabSize())
	}
	if tok.BOSToken() != "<|begin_of_text|>" || tok.EOSToken() != "<|eot_id|>" {
		t.Errorf("BOSToken/EOSToken = %q/%q", tok.BOSToken(), tok.EOSToken())
	}
}
