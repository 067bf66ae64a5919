package tokenizer

import (
	"strings"
)

// Tokenizer is a loaded Llama 3.x tokenizer. It is safe for concurrent use.
type Tokenizer struct {
	tokens   []string         // id -> token as written in tokenizer.json (byte-level for BPE ids)
	isSet    []bool           // id present
	vocab    map[string]int32 // token string -> id (model vocab and added tokens)
	rawVocab map[string]int32 // raw bytes of a byte-level model token -> id
	bpe      *bpeModel

	addedPlain, addedNorm *addedMatcher
	special               []int // ids of added tokens flagged special
	isSpecial             []bool
	decoded               [][]byte // id -> bytes produced by the ByteLevel decoder

	prefix, suffix []int // TemplateProcessing "single" ids around the sequence

	bos, eos, pad, unk string // from tokenizer_config.json
	cleanup            bool   // clean_up_tokenization_spaces
	chatTemplates      map[string]string
}

// finish precomputes per-id tables once all ids are known.
func (t *Tokenizer) finish() {
	t.isSpecial = make([]bool, len(t.tokens))
	for _, id := range t.special {
		t.isSpecial[id] = true
	}
	t.decoded = make([][]byte, len(t.tokens))
	for id, tok := range t.tokens {
		if t.isSet[id] {
			t.decoded[id], _ = byteLevelDecode(tok)
		}
	}
}

// VocabSize is the size of the id space: highest id + 1, including added tokens (128257 for
// Llama 3.2 Vision; transformers' len(tokenizer)).
func (t *Tokenizer) VocabSize() int { return len(t.tokens) }

// Token returns the token string of id as stored in tokenizer.json (byte-level form for BPE
// tokens, e.g. "Ġworld"), or "" when id is unknown.
func (t *Tokenizer) Token(id int) string {
	if id < 0 || id >= len(t.tokens) {
		return ""
	}
	return t.tokens[id]
}

// ID returns the id of a token string (byte-level form or added-token content).
func (t *Tokenizer) ID(token string) (int, bool) {
	id, ok := t.vocab[token]
	return int(id), ok
}

// IsSpecial reports whether id is an added token flagged special.
func (t *Tokenizer) IsSpecial(id int) bool {
	return id >= 0 && id < len(t.isSpecial) && t.isSpecial[id]
}

// BOSToken and EOSToken are the strings from tokenizer_config.json ("" if unset). The *ID
// variants give their ids (-1 if unset or unknown); pad has only the id.
func (t *Tokenizer) BOSToken() string { return t.bos }
func (t *Tokenizer) EOSToken() string { return t.eos }
func (t *Tokenizer) BOSID() int       { return t.idOrMinus(t.bos) }
func (t *Tokenizer) EOSID() int       { return t.idOrMinus(t.eos) }
func (t *Tokenizer) PadID() int       { return t.idOrMinus(t.pad) }

func (t *Tokenizer) idOrMinus(s string) int {
	if s == "" {
		return -1
	}
	if id, ok := t.vocab[s]; ok {
		return int(id)
	}
	return -1
}

// CleanUpTokenizationSpaces reports the tokenizer_config.json setting Decode applies.
func (t *Tokenizer) CleanUpTokenizationSpaces() bool { return t.cleanup }

// Encode tokenizes text like HF tokenizers' encode(text, add_special_tokens): added tokens are
// matched in the raw text first, the rest is pre-tokenized and BPE-encoded; with addSpecial the
// post-processor's template tokens (<|begin_of_text|> for Llama 3) are added.
func (t *Tokenizer) Encode(text string, addSpecial bool) []int {
	ids32 := t.encode32(make([]int32, 0, len(text)/3+4), text)
	n := len(ids32)
	if addSpecial {
		n += len(t.prefix) + len(t.suffix)
	}
	out := make([]int, 0, n)
	if addSpecial {
		out = append(out, t.prefix...)
	}
	for _, id := range ids32 {
		out = append(out, int(id))
	}
	if addSpecial {
		out = append(out, t.suffix...)
	}
	return out
}

// EncodeInt32 is Encode returning int32 ids, the type the runtime feeds to the model.
func (t *Tokenizer) EncodeInt32(text string, addSpecial bool) []int32 {
	out := make([]int32, 0, len(text)/3+4)
	if addSpecial {
		for _, id := range t.prefix {
			out = append(out, int32(id))
		}
	}
	out = t.encode32(out, text)
	if addSpecial {
		for _, id := range t.suffix {
			out = append(out, int32(id))
		}
	}
	return out
}

// encode32 appends the ids of text (without template tokens) to dst.
func (t *Tokenizer) encode32(dst []int32, text string) []int32 {
	if text == "" {
		return dst
	}
	var segBuf [16]segment
	segs := t.addedPlain.split(segBuf[:0], text)
	if len(t.addedNorm.toks) > 0 {
		var again []segment
		for _, s := range segs {
			if s.id >= 0 {
				again = append(again, s)
			} else {
				again = t.addedNorm.split(again, s.text)
			}
		}
		segs = again
	}
	for _, s := range segs {
		if s.id >= 0 {
			dst = append(dst, int32(s.id))
			continue
		}
		dst = t.encodePlain(dst, s.text)
	}
	return dst
}

// encodePlain pre-tokenizes and BPE-encodes text that contains no added tokens.
func (t *Tokenizer) encodePlain(dst []int32, s string) []int32 {
	for i := 0; i < len(s); {
		j := nextPiece(s, i)
		piece := s[i:j]
		i = j
		if t.bpe.ignoreMerges {
			if id, ok := t.rawVocab[piece]; ok {
				dst = append(dst, id)
				continue
			}
		}
		if len(piece) == 1 {
			dst = append(dst, t.bpe.byteIDs[piece[0]])
			continue
		}
		dst = t.bpe.encodeWord(dst, piece)
	}
	return dst
}

// Tokens returns the token strings of ids (byte-level form), "" for unknown ids.
func (t *Tokenizer) Tokens(ids []int) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = t.Token(id)
	}
	return out
}

// Decode turns ids back into text like transformers' PreTrainedTokenizerFast.decode: unknown ids
// are dropped, special tokens dropped when skipSpecial, the ByteLevel decoder joins all bytes and
// replaces ill-formed UTF-8 by U+FFFD (Rust from_utf8_lossy), then clean_up_tokenization is
// applied when tokenizer_config.json enables it.
func (t *Tokenizer) Decode(ids []int, skipSpecial bool) string {
	s := string(t.decodeBytes(nil, ids, skipSpecial))
	if t.cleanup {
		s = CleanUpTokenization(s)
	}
	return s
}

// DecodeRaw is Decode without clean_up_tokenization (HF tokenizers' own decode).
func (t *Tokenizer) DecodeRaw(ids []int, skipSpecial bool) string {
	return string(t.decodeBytes(nil, ids, skipSpecial))
}

func (t *Tokenizer) decodeBytes(dst []byte, ids []int, skipSpecial bool) []byte {
	raw := make([]byte, 0, 4*len(ids))
	for _, id := range ids {
		if id < 0 || id >= len(t.decoded) || !t.isSet[id] || (skipSpecial && t.isSpecial[id]) {
			continue
		}
		raw = append(raw, t.decoded[id]...)
	}
	return appendLossyUTF8(dst, raw)
}

// CleanUpTokenization is transformers' PreTrainedTokenizerBase.clean_up_tokenization: these
// replacements, in this order, each over the whole string.
func CleanUpTokenization(s string) string {
	if !strings.Contains(s, " ") {
		return s
	}
	for _, r := range cleanupPairs {
		s = strings.ReplaceAll(s, r[0], r[1])
	}
	return s
}

var cleanupPairs = [...][2]string{
	{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
	{" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
}
