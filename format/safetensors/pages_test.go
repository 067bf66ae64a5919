package safetensors

import (
	"os"
	"testing"
)

func TestPages(t *testing.T) {
	t.Parallel()
	p := int64(os.Getpagesize())
	f := &File{Size: 10 * p, data: make([]byte, 1)} // data only has to be non-nil
	for _, c := range []struct {
		name       string
		off, n     int64
		inner      bool
		start, end int64
		ok         bool
	}{
		{"aligned, inner", p, 2 * p, true, p, 3 * p, true},
		{"unaligned, inner shrinks", p + 1, 3 * p, true, 2 * p, 4 * p, true},
		{"inside one page, inner: nothing", p + 1, 10, true, 0, 0, false},
		{"unaligned, outer grows to the page start", p + 1, 10, false, p, p + 11, true},
		{"clipped to the file", 9 * p, 5 * p, false, 9 * p, 10 * p, true},
		{"past the end: nothing", 11 * p, 1, false, 0, 0, false},
		{"empty range", p, 0, false, 0, 0, false},
	} {
		start, end, ok := f.pages(c.off, c.n, c.inner)
		if ok != c.ok || (ok && (start != c.start || end != c.end)) {
			t.Errorf("%s: pages(%d, %d, %v) = %d, %d, %v; want %d, %d, %v", c.name, c.off, c.n, c.inner, start, end, ok, c.start, c.end, c.ok)
		}
	}
	if _, _, ok := (&File{Size: p}).pages(0, p, false); ok {
		t.Error("an unmapped file has no pages to advise")
	}
}
