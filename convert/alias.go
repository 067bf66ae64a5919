package convert

import (
	"hash/maphash"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/ct2go/ct2go/format/ct2"
)

// findAliases reproduces LayerSpec._alias_variables (model_spec.py:169-189):
// a non-scalar variable equal to an alphabetically earlier one (same dtype,
// shape and every element, compared as torch.equal does: numerically, so
// -0 == +0 and NaN is never equal) is not stored; it becomes an alias of the
// FIRST equal name in sorted order. This runs on the loaded (pre-quantization)
// values.
//
// Reading every tensor twice would double the conversion time, so equality is
// decided cheaply first: the same source rows are equal by construction
// (tied embeddings), and otherwise only variables whose first row hashes the
// same are compared in full. vars must be sorted by name.
func findAliases(vars []*Var) (kept []*Var, aliases []ct2.Alias) {
	type key struct {
		shape string
		load  ct2.DType
		first uint64
	}
	seed := maphash.MakeSeed()
	groups := map[key][]*Var{}
	target := map[*Var]*Var{}
	var scratch []float32
	for _, v := range vars {
		if v.Kind == kindScalar {
			continue
		}
		cols := v.cols()
		if cap(scratch) < cols {
			scratch = make([]float32, cols)
		}
		row := scratch[:cols]
		v.readRows(row, 0, 1)
		h, ok := hashRow(seed, row)
		if !ok {
			continue // a NaN in the first row: equal to nothing
		}
		k := key{shapeKey(v.Shape), v.load, h}
		for _, earlier := range groups[k] {
			if equalVars(earlier, v) {
				t := earlier
				if tt, ok := target[earlier]; ok {
					t = tt
				}
				target[v] = t
				break
			}
		}
		if _, aliased := target[v]; !aliased {
			groups[k] = append(groups[k], v)
		}
	}
	for _, v := range vars {
		if t, ok := target[v]; ok {
			aliases = append(aliases, ct2.Alias{Name: v.Name, Target: t.Name})
			continue
		}
		kept = append(kept, v)
	}
	sort.Slice(aliases, func(i, j int) bool { return aliases[i].Name < aliases[j].Name })
	return kept, aliases
}

func shapeKey(s []int) string {
	var b strings.Builder
	for _, d := range s {
		b.WriteString(strconv.Itoa(d))
		b.WriteByte(',')
	}
	return b.String()
}

// hashRow hashes values numerically (-0 as +0); ok is false if a NaN is present.
func hashRow(seed maphash.Seed, row []float32) (uint64, bool) {
	var h maphash.Hash
	h.SetSeed(seed)
	var b [4]byte
	for _, x := range row {
		if x != x {
			return 0, false
		}
		if x == 0 {
			x = 0
		}
		u := math.Float32bits(x)
		b[0], b[1], b[2], b[3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
		h.Write(b[:])
	}
	return h.Sum64(), true
}

func sameSources(a, b *Var) bool {
	if len(a.srcs) != len(b.srcs) {
		return false
	}
	for i := range a.srcs {
		if a.srcs[i].T != b.srcs[i].T || a.srcs[i].Rows != b.srcs[i].Rows {
			return false
		}
	}
	return true
}

// equalVars compares two variables of equal shape and load dtype element by
// element, a chunk of rows at a time.
func equalVars(a, b *Var) bool {
	if !slices.Equal(a.Shape, b.Shape) || a.load != b.load {
		return false
	}
	if sameSources(a, b) {
		return true // "a is b" in the converter: the same tensor object
	}
	rows, cols := a.rows(), a.cols()
	step := max(1, (1<<20)/max(cols, 1))
	x := make([]float32, step*cols)
	y := make([]float32, step*cols)
	for r := 0; r < rows; r += step {
		e := min(rows, r+step)
		n := (e - r) * cols
		a.readRows(x[:n], r, e)
		b.readRows(y[:n], r, e)
		for i := 0; i < n; i++ {
			if x[i] != y[i] {
				return false
			}
		}
	}
	return true
}
