package tokenizer

import "sync"

// bpeModel holds the merge table. Symbols are token ids; a merge of the pair (a, b) is keyed by
// a<<32|b and yields its rank (lower merges first) and the id of the merged token.
type bpeModel struct {
	merges       map[uint64]mergeInfo
	byteIDs      [256]int32 // id of the single-byte token for each byte
	ignoreMerges bool       // a pre-token that is itself in the vocab is emitted whole

	cacheMu sync.RWMutex
	cache   map[string][]int32 // pre-token (raw bytes) -> ids, for pre-tokens not in the vocab
}

type mergeInfo struct {
	rank int32
	id   int32
}

// cacheLimit bounds the word cache; HF tokenizers uses 10,000 entries and stops inserting when
// full (models/bpe/model.rs DEFAULT_CACHE_CAPACITY); a larger cap suits long multilingual texts.
const cacheLimit = 1 << 16

// cacheMaxWord keeps huge pre-tokens (a long run of letters without spaces, e.g. Thai or CJK
// text) out of the cache so it stays small; HF tokenizers bounds cached words similarly.
const cacheMaxWord = 256

// linearLimit: words up to this many bytes use the O(n^2) scan, which beats a heap on short
// words; longer ones use the heap so a pathological single word stays O(n log n).
const linearLimit = 48

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// encodeWord appends the ids of one pre-token (raw bytes, not in the vocab) to dst.
func (m *bpeModel) encodeWord(dst []int32, word string) []int32 {
	m.cacheMu.RLock()
	ids, ok := m.cache[word]
	m.cacheMu.RUnlock()
	if ok {
		return append(dst, ids...)
	}
	start := len(dst)
	if len(word) <= linearLimit {
		dst = m.mergeLinear(dst, word)
	} else {
		dst = m.mergeHeap(dst, word)
	}
	m.cacheMu.Lock()
	if len(m.cache) < cacheLimit && len(word) <= cacheMaxWord {
		m.cache[word] = append([]int32(nil), dst[start:]...)
	}
	m.cacheMu.Unlock()
	return dst
}

// mergeLinear repeatedly merges the lowest-ranked adjacent pair, leftmost first on ties; this is
// the order of HF's Word::merge_all priority queue (rank, then position).
func (m *bpeModel) mergeLinear(dst []int32, word string) []int32 {
	var symBuf [linearLimit]int32
	var rankBuf [linearLimit]int32
	var idBuf [linearLimit]int32
	n := len(word)
	sym := symBuf[:n]
	for i := 0; i < n; i++ {
		sym[i] = m.byteIDs[word[i]]
	}
	// ranks[i] / ids[i] describe the pair (sym[i], sym[i+1]); -1 = no merge.
	ranks, ids := rankBuf[:n], idBuf[:n]
	look := func(i int) {
		if i+1 < len(sym) {
			if mi, ok := m.merges[pairKey(sym[i], sym[i+1])]; ok {
				ranks[i], ids[i] = mi.rank, mi.id
				return
			}
		}
		ranks[i] = -1
	}
	for i := range sym {
		look(i)
	}
	for len(sym) > 1 {
		best := -1
		for i := 0; i+1 < len(sym); i++ {
			if ranks[i] >= 0 && (best < 0 || ranks[i] < ranks[best]) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		sym[best] = ids[best]
		copy(sym[best+1:], sym[best+2:])
		copy(ranks[best+1:], ranks[best+2:])
		copy(ids[best+1:], ids[best+2:])
		sym, ranks, ids = sym[:len(sym)-1], ranks[:len(sym)-1], ids[:len(sym)-1]
		look(best)
		if best > 0 {
			look(best - 1)
		}
	}
	return append(dst, sym...)
}

type mergeCand struct {
	rank int32
	pos  int32 // index of the left symbol in the original word
}

// candHeap is a binary min-heap ordered by (rank, pos), typed to avoid container/heap's
// interface boxing (one allocation per push).
type candHeap []mergeCand

func (h candHeap) less(i, j int) bool {
	return h[i].rank < h[j].rank || (h[i].rank == h[j].rank && h[i].pos < h[j].pos)
}

func (h *candHeap) push(c mergeCand) {
	*h = append(*h, c)
	a := *h
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if !a.less(i, p) {
			break
		}
		a[i], a[p] = a[p], a[i]
		i = p
	}
}

func (h *candHeap) pop() mergeCand {
	a := *h
	top := a[0]
	n := len(a) - 1
	a[0] = a[n]
	a = a[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && a.less(l, m) {
			m = l
		}
		if r < n && a.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	*h = a
	return top
}

// mergeHeap is mergeLinear with a doubly linked symbol list and a priority queue of candidate
// merges; stale candidates are recognised by re-looking up the current pair.
func (m *bpeModel) mergeHeap(dst []int32, word string) []int32 {
	n := len(word)
	sym := make([]int32, n)
	prev := make([]int32, n)
	next := make([]int32, n)
	for i := 0; i < n; i++ {
		sym[i] = m.byteIDs[word[i]]
		prev[i] = int32(i - 1)
		next[i] = int32(i + 1)
	}
	next[n-1] = -1
	h := make(candHeap, 0, n)
	for i := 0; i+1 < n; i++ {
		if mi, ok := m.merges[pairKey(sym[i], sym[i+1])]; ok {
			h.push(mergeCand{mi.rank, int32(i)})
		}
	}
	alive := make([]bool, n)
	for i := range alive {
		alive[i] = true
	}
	for len(h) > 0 {
		c := h.pop()
		p := c.pos
		q := next[p]
		if !alive[p] || q < 0 {
			continue
		}
		mi, ok := m.merges[pairKey(sym[p], sym[q])]
		if !ok || mi.rank != c.rank {
			continue // stale: one side was merged since
		}
		sym[p] = mi.id
		alive[q] = false
		next[p] = next[q]
		if next[q] >= 0 {
			prev[next[q]] = p
		}
		if nq := next[p]; nq >= 0 {
			if mj, ok := m.merges[pairKey(sym[p], sym[nq])]; ok {
				h.push(mergeCand{mj.rank, p})
			}
		}
		if pp := prev[p]; pp >= 0 {
			if mj, ok := m.merges[pairKey(sym[pp], sym[p])]; ok {
				h.push(mergeCand{mj.rank, pp})
			}
		}
	}
	for i := int32(0); i >= 0; i = next[i] {
		dst = append(dst, sym[i])
	}
	return dst
}
