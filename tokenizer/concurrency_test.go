package tokenizer

import (
	"slices"
	"sync"
	"testing"

	"github.com/ct2go/ct2go/tokenizer/benchtext"
)

// TestConcurrentEncode runs Encode from several goroutines over the same text (sharing the word
// cache) and requires the results of a single goroutine; run with -race to check the cache.
func TestConcurrentEncode(t *testing.T) {
	tok := fixtureTokenizer(t)
	docs := benchtext.Chunks(benchtext.Generate(64<<10, 5), 2048)
	want := make([][]int, len(docs))
	for i, d := range docs {
		want[i] = tok.Encode(d, true)
		if got := tok.EncodeInt32(d, true); len(got) != len(want[i]) || int(got[0]) != want[i][0] {
			t.Fatalf("EncodeInt32 differs from Encode on doc %d", i)
		}
	}
	tok.bpe.cacheMu.Lock()
	clear(tok.bpe.cache)
	tok.bpe.cacheMu.Unlock()
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for k := range docs {
				i := (k + g*7) % len(docs)
				if got := tok.Encode(docs[i], true); !slices.Equal(got, want[i]) {
					errs <- docs[i]
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for d := range errs {
		t.Errorf("concurrent Encode differs on %q", d[:min(len(d), 60)])
	}
}
