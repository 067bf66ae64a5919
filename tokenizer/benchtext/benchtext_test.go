package benchtext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestGenerate(t *testing.T) {
	a, b := Generate(1<<16, 1), Generate(1<<16, 1)
	if a != b {
		t.Fatal("not deterministic")
	}
	if len(a) < 1<<16 || !utf8.ValidString(a) {
		t.Fatalf("len %d, valid UTF-8 %v", len(a), utf8.ValidString(a))
	}
	docs := Chunks(a, 4096)
	if strings.Join(docs, "") != a {
		t.Fatal("chunks do not tile the text")
	}
	for _, d := range docs {
		if !utf8.ValidString(d) || len(d) > 4096+4 {
			t.Fatalf("bad chunk of %d bytes", len(d))
		}
	}
}
