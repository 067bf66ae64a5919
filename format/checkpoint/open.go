package checkpoint

import (
	"github.com/ct2go/ct2go/format/hf"
	"github.com/ct2go/ct2go/format/safetensors"
)

// Source is an opened checkpoint seen through its family.
type Source struct {
	Dir        string
	Checkpoint *safetensors.Checkpoint
	Text       *TextModel
}

// Open reads config.json, maps the shards and extracts the Llama text model,
// reporting every structural problem at once. Nothing is written.
func Open(dir string) (*Source, error) {
	cfg, err := hf.ReadConfig(dir)
	if err != nil {
		return nil, err
	}
	fam, err := FamilyFor(cfg)
	if err != nil {
		return nil, err
	}
	ck, err := safetensors.OpenCheckpoint(dir)
	if err != nil {
		return nil, err
	}
	tm, err := fam.Text(dir, cfg, ck)
	if err != nil {
		ck.Close()
		return nil, err
	}
	return &Source{Dir: dir, Checkpoint: ck, Text: tm}, nil
}

// Close releases the mapped shards.
func (s *Source) Close() error { return s.Checkpoint.Close() }
