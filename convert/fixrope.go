package convert

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ct2go/ct2go/format/checkpoint"
	"github.com/ct2go/ct2go/format/ct2"
	"github.com/ct2go/ct2go/format/hf"
	"github.com/ct2go/ct2go/internal/fsutil"
)

// RopeFix are the llama3 RoPE values CTranslate2's converter leaves out.
type RopeFix struct {
	Factor      float64
	OriginalMax int
}

// RopeFixFromConfig reads them from a Hugging Face config.json (Llama or Mllama).
func RopeFixFromConfig(path string) (RopeFix, error) {
	raw, err := fsutil.ReadCapped(path, hf.MaxJSONSize)
	if err != nil {
		return RopeFix{}, err
	}
	cfg, err := hf.ParseConfig(raw)
	if err != nil {
		return RopeFix{}, fmt.Errorf("%s: %w", path, err)
	}
	p, probs := checkpoint.ParamsFrom(&cfg.Text, "")
	if p.Rope != ropeLlama3 {
		return RopeFix{}, fmt.Errorf("%s: rope_scaling is not llama3: nothing to fix", path)
	}
	if len(probs) > 0 {
		return RopeFix{}, fmt.Errorf("%s: %s", path, strings.Join(probs, "; "))
	}
	return RopeFix{Factor: p.RopeFactor, OriginalMax: p.RopeOriginalMax}, nil
}

// ErrNotLlama3 means the model does not use llama3 RoPE scaling.
var ErrNotLlama3 = errors.New("not a llama3-scaled model")

// FixRope adds rotary_scaling_factor and original_max_position_embeddings
// to every llama3-scaled layer of dir/model.bin that lacks them, rewriting the
// file atomically (temporary file + rename). It is idempotent: a model that
// already has the same values is left untouched (changed = false); different
// existing values are refused.
func FixRope(dir string, fix RopeFix) (changed bool, err error) {
	if !(fix.Factor > 0) || fix.OriginalMax <= 0 {
		return false, fmt.Errorf("fix-rope needs a positive factor and original_max_position_embeddings (got %v, %d)", fix.Factor, fix.OriginalMax)
	}
	path := filepath.Join(dir, "model.bin")
	m, err := ct2.Map(path)
	if err != nil {
		return false, err
	}
	defer m.Close()
	type add struct {
		name string
		dt   ct2.DType
		val  []byte
	}
	var adds []add
	llama3 := 0
	value := map[ct2.Scalar]float64{ct2.RotaryScalingFactor: fix.Factor, ct2.OriginalMaxPositionEmbeddings: float64(fix.OriginalMax)}
	for i := range m.Variables {
		v := &m.Variables[i]
		pre, ok := strings.CutSuffix(v.Name, ct2.RotaryScalingType.Name)
		if !ok || v.DType != ct2.RotaryScalingType.DType || v.NBytes != 1 || int8(m.Bytes(v)[0]) != ct2.RotaryScalingLlama3 {
			continue
		}
		llama3++
		for _, s := range ct2.Llama3Omitted {
			a := add{pre + s.Name, s.DType, s.Encode(value[s])}
			if have, ok := m.Lookup(a.name); ok {
				if have.DType != a.dt || string(m.Bytes(have)) != string(a.val) {
					return false, fmt.Errorf("%s: %s already set to a different value: refusing to change it", path, a.name)
				}
				continue
			}
			adds = append(adds, a)
		}
	}
	if llama3 == 0 {
		return false, fmt.Errorf("%s: %w (no layer has rotary_scaling_type = 2)", path, ErrNotLlama3)
	}
	if len(adds) == 0 {
		return false, nil
	}
	type entry struct {
		name  string
		shape []int
		dt    ct2.DType
		data  []byte
	}
	all := make([]entry, 0, len(m.Variables)+len(adds))
	for i := range m.Variables {
		v := &m.Variables[i]
		all = append(all, entry{v.Name, v.Shape, v.DType, m.Bytes(v)})
	}
	for _, a := range adds {
		all = append(all, entry{a.name, nil, a.dt, a.val})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].name < all[j].name })

	tmp, err := os.CreateTemp(dir, ".model.bin.partial-")
	if err != nil {
		return false, err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w, err := ct2.NewWriter(tmp, m.Spec, m.Revision, len(all))
	if err != nil {
		return false, err
	}
	for _, e := range all {
		if err = w.WriteVariable(e.name, e.shape, e.dt, e.data); err != nil {
			return false, fmt.Errorf("%s: %w", tmp.Name(), err)
		}
	}
	if err = w.Close(m.Aliases); err != nil {
		return false, fmt.Errorf("%s: %w", tmp.Name(), err)
	}
	if err = tmp.Sync(); err != nil {
		return false, err
	}
	if st, serr := os.Stat(path); serr == nil {
		os.Chmod(tmp.Name(), st.Mode().Perm())
	}
	if err = tmp.Close(); err != nil {
		return false, err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return false, err
	}
	return true, syncDir(dir)
}
