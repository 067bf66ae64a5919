package convert

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestRemoveStalePartials(t *testing.T) {
	parent := t.TempDir()
	mk := func(name string) string {
		d := filepath.Join(parent, name)
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	live := mk(".out.partial-1")
	unlock, err := lockPartial(live)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	dead := mk(".out.partial-2") // a lock file nobody holds: its owner died
	if err := os.WriteFile(filepath.Join(dead, PartialLock), []byte("4242\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	unlocked := mk(".out.partial-3") // no lock file (yet): left alone
	other := mk("out")               // not a partial directory
	os.WriteFile(filepath.Join(other, PartialLock), nil, 0o644)

	removed, err := RemoveStalePartials(parent)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0].Dir != dead || removed[0].PID != 4242 {
		t.Errorf("removed %+v, want only %s (pid 4242)", removed, dead)
	}
	for _, d := range []string{live, unlocked, other} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s removed: %v", d, err)
		}
	}
	// Once its owner lets go (finishes), the lock file is gone too.
	unlock()
	if _, err := os.Stat(filepath.Join(live, PartialLock)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file after unlock: %v", err)
	}
}

func TestCheckExisting(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	ours := func(n string) bool { return isCT2OutputFile(n, []string{"EXTRA.md"}) }
	if err := checkExisting(out, KeepExisting, ours); err != nil {
		t.Errorf("missing output: %v", err)
	}
	os.Mkdir(out, 0o755)
	if err := checkExisting(out, ReplaceOutput, ours); err != nil {
		t.Errorf("empty output, ReplaceOutput: %v", err)
	}
	var oe *OutputExistsError
	if err := checkExisting(out, KeepExisting, ours); !errors.As(err, &oe) || !errors.Is(err, ErrOutputExists) {
		t.Errorf("KeepExisting: %v", err)
	}
	for _, f := range []string{"model.bin", "config.json", "vocabulary.json", "shared_vocabulary.json", "tokenizer.json", "LICENSE", "EXTRA.md"} {
		os.WriteFile(filepath.Join(out, f), nil, 0o644)
	}
	if err := checkExisting(out, ReplaceOutput, ours); err != nil {
		t.Errorf("previous output: %v", err)
	}
	os.WriteFile(filepath.Join(out, "thesis.tex"), nil, 0o644)
	var fe *ForeignOutputError
	if err := checkExisting(out, ReplaceOutput, ours); !errors.As(err, &fe) || fe.File != "thesis.tex" || !errors.Is(err, ErrOutputExists) {
		t.Errorf("foreign file: %v", err)
	}
	if err := checkExisting(out, ReplaceAnything, ours); err != nil {
		t.Errorf("ReplaceAnything: %v", err)
	}
}

func TestSortProblems(t *testing.T) {
	in := []string{
		"tensor model.layers.10.mlp.up_proj.weight has shape [1], config implies [2]",
		"missing tensor for model.layers.2.self_attn.q_proj.weight",
		"config: vocab_size missing",
		"unexpected tensor language_model.model.layers.2.cross_attn.k_norm.weight",
		"missing tensor for decoder/layer_1/ffn",
	}
	want := []string{in[2], in[4], in[1], in[3], in[0]}
	if got := SortProblems(in); !slices.Equal(got, want) {
		t.Errorf("SortProblems:\n got %q\nwant %q", got, want)
	}
}
