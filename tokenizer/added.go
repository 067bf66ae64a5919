package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// addedToken is an entry of tokenizer.json "added_tokens".
type addedToken struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

// addedMatcher finds added tokens in raw text, leftmost-longest, like HF's AddedVocabulary
// (an Aho-Corasick automaton with MatchKind::LeftmostLongest). A byte trie is enough: added
// vocabularies are small and matches are only tried where a token's first byte occurs.
type addedMatcher struct {
	nodes []trieNode
	first [256]bool
	toks  []addedToken // indexed by trieNode.tok
}

type trieNode struct {
	next map[byte]int32
	tok  int32 // index into toks, -1 = none
}

func newAddedMatcher(toks []addedToken) *addedMatcher {
	m := &addedMatcher{nodes: []trieNode{{tok: -1}}, toks: toks}
	for ti, t := range toks {
		n := int32(0)
		for i := 0; i < len(t.Content); i++ {
			c := t.Content[i]
			if i == 0 {
				m.first[c] = true
			}
			nx, ok := m.nodes[n].next[c]
			if !ok {
				if m.nodes[n].next == nil {
					m.nodes[n].next = map[byte]int32{}
				}
				nx = int32(len(m.nodes))
				m.nodes[n].next[c] = nx
				m.nodes = append(m.nodes, trieNode{tok: -1})
			}
			n = nx
		}
		m.nodes[n].tok = int32(ti)
	}
	return m
}

// segment is a piece of input: either plain text (tok < 0) or an added token.
type segment struct {
	text string
	id   int // added token id, or -1
}

// longestAt returns the longest added token starting at s[i] and its length.
func (m *addedMatcher) longestAt(s string, i int) (tok int32, n int) {
	tok, node := -1, int32(0)
	for j := i; j < len(s); j++ {
		nx, ok := m.nodes[node].next[s[j]]
		if !ok {
			break
		}
		node = nx
		if t := m.nodes[node].tok; t >= 0 {
			tok, n = t, j+1-i
		}
	}
	return tok, n
}

// split cuts s into plain text and added-token segments, appending them to dst. Tokens flagged
// lstrip/rstrip swallow the whitespace on that side; single_word tokens only match between
// non-word characters (HF AddedVocabulary::find_matches).
func (m *addedMatcher) split(dst []segment, s string) []segment {
	if len(m.toks) == 0 {
		return append(dst, segment{s, -1})
	}
	last := 0 // start of pending plain text
	for i := 0; i < len(s); {
		if !m.first[s[i]] {
			i++
			continue
		}
		ti, n := m.longestAt(s, i)
		if ti < 0 {
			i++
			continue
		}
		t := &m.toks[ti]
		start, end := i, i+n
		if t.SingleWord && !isWordBoundary(s, start, end) {
			i++
			continue
		}
		if t.LStrip {
			for start > last {
				r, w := utf8.DecodeLastRuneInString(s[last:start])
				if !unicode.IsSpace(r) {
					break
				}
				start -= w
			}
		}
		if t.RStrip {
			for end < len(s) {
				r, w := utf8.DecodeRuneInString(s[end:])
				if !unicode.IsSpace(r) {
					break
				}
				end += w
			}
		}
		if start > last {
			dst = append(dst, segment{s[last:start], -1})
		}
		dst = append(dst, segment{s[start:end], t.ID})
		last, i = end, end
	}
	if last < len(s) {
		dst = append(dst, segment{s[last:], -1})
	}
	return dst
}

// isWordBoundary reports whether s[start:end] is not glued to word characters on either side.
func isWordBoundary(s string, start, end int) bool {
	isWord := func(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }
	if start > 0 {
		if r, _ := utf8.DecodeLastRuneInString(s[:start]); isWord(r) {
			return false
		}
	}
	if end < len(s) {
		if r, _ := utf8.DecodeRuneInString(s[end:]); isWord(r) {
			return false
		}
	}
	return true
}
