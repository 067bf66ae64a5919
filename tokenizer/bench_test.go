package tokenizer

import (
	"strings"
	"testing"

	"github.com/ct2go/ct2go/tokenizer/benchtext"
)

// BenchmarkEncode measures single-goroutine Encode throughput (b.SetBytes: MB/s) on 4 MB of
// generated multilingual text in ~4 KB documents, the same workload scripts/bench-tokenizer
// gives HF tokenizers. Run with -cpu 1 for the one-core figure.
func BenchmarkEncode(b *testing.B) {
	tok := fixtureTokenizer(b)
	text := benchtext.Generate(4<<20, 1)
	docs := benchtext.Chunks(text, 4096)
	for _, d := range docs { // warm the word cache as a long-running process would
		tok.Encode(d, false)
	}
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, d := range docs {
			tok.Encode(d, false)
		}
	}
}

// BenchmarkEncodeCold is BenchmarkEncode with the word cache emptied before every pass.
func BenchmarkEncodeCold(b *testing.B) {
	tok := fixtureTokenizer(b)
	text := benchtext.Generate(4<<20, 1)
	docs := benchtext.Chunks(text, 4096)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		tok.bpe.cacheMu.Lock()
		clear(tok.bpe.cache)
		tok.bpe.cacheMu.Unlock()
		b.StartTimer()
		for _, d := range docs {
			tok.Encode(d, false)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	tok := fixtureTokenizer(b)
	text := benchtext.Generate(1<<20, 2)
	ids := tok.Encode(text, false)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tok.Decode(ids, false)
	}
}

func BenchmarkLoad(b *testing.B) {
	dir := fixturesDir(b) + "/tiny-mllama"
	for i := 0; i < b.N; i++ {
		if _, err := Load(dir); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeLongWord is the worst case for BPE: one 256 KB pre-token (a letter run without
// spaces) goes through the heap-based merge loop.
func BenchmarkEncodeLongWord(b *testing.B) {
	tok := fixtureTokenizer(b)
	text := strings.Repeat("中文没有空格的长文本", 256<<10/30)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tok.Encode(text, false)
	}
}
