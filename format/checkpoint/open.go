package checkpoint

import (
	"path/filepath"

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

// TensorInfo is one tensor of the checkpoint: its name, safetensors dtype,
// shape, size and the shard (base name) that holds it.
type TensorInfo struct {
	Name  string `json:"name"`
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
	Bytes int64  `json:"nbytes"`
	File  string `json:"file"`
}

// Tensors lists every tensor of the checkpoint (vision tower and dropped
// layers included) in name order; nil when there are none.
func (s *Source) Tensors() []TensorInfo {
	var ts []TensorInfo
	for _, n := range s.Checkpoint.Names() {
		t := s.Checkpoint.Tensors[n]
		ts = append(ts, TensorInfo{n, t.DType, t.Shape, t.NBytes, filepath.Base(t.File.Path)})
	}
	return ts
}
