package ct2

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/ct2go/ct2go/internal/testfix"
)

// Release drops pages after a copy but must not change what the view reads:
// the pages fault back in from the file.
func TestMappedContainsRelease(t *testing.T) {
	m, err := Map(filepath.Join(testfix.Path(t, "golden", "ct2go", "int8_float16"), "model.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	v, ok := m.Lookup("decoder/projection/weight")
	if !ok {
		t.Fatal("no decoder/projection/weight")
	}
	b := m.Bytes(v)
	want := bytes.Clone(b)
	if !m.Contains(b) || !m.Contains(b[1:2]) {
		t.Error("Contains(view) = false")
	}
	if m.Contains(want) || m.Contains(nil) {
		t.Error("Contains(heap copy or nil) = true")
	}
	if err := m.Release(b); err != nil {
		t.Fatal(err)
	}
	if err := m.Release(b[3:10]); err != nil { // no whole page inside: a no-op
		t.Fatal(err)
	}
	if !bytes.Equal(b, want) {
		t.Error("view changed after Release")
	}
	if err := m.Release(want); err == nil {
		t.Error("Release of a heap slice: no error")
	}
}
