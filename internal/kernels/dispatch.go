package kernels

import (
	"fmt"
	"os"
	"strings"
)

// ISA names a kernel implementation level.
type ISA int

const (
	// Generic is the pure-Go implementation, available everywhere.
	Generic ISA = iota
	// AVX2 needs AVX2, FMA and F16C (amd64).
	AVX2
	// AVXVNNI is AVX2 plus the VEX-encoded AVX-VNNI int8 dot product (ymm vpdpbusd, e.g.
	// Alder Lake and later client cores, Sierra Forest) for the int8 GEMM and the decode
	// GEMV; everything else is the AVX2 set.
	AVXVNNI
	// AVX512 needs AVX-512 F, BW, VL and VNNI plus the AVX2 set (amd64).
	AVX512
)

func (l ISA) String() string {
	switch l {
	case Generic:
		return "generic"
	case AVX2:
		return "avx2"
	case AVXVNNI:
		return "avxvnni"
	case AVX512:
		return "avx512"
	}
	return fmt.Sprintf("ISA(%d)", int(l))
}

// kernelSet is one implementation level; every field is filled for every level (levels
// start as a copy of a lower level and override what they implement).
type kernelSet struct {
	dotF32    func(a, b []float32) float32
	dotInt8   func(a, b []int8) int32
	gemvInt8  func(dst []int32, w []int8, rows, cols int, x []int8, comp []int32)
	rowSums   func(comp []int32, w []int8, rows, cols int)
	gemmInt8  func(dst []int32, ldDst int, w []int8, rows, cols int, x []int8, n int, comp []int32)
	gemvF32   func(dst []float32, w []float32, rows, cols, ldW int, x []float32)
	axpyF32   func(y []float32, a float32, x []float32)
	gemmF32   func(dst []float32, ldDst int, w []float32, rows, cols int, x []float32, n int)
	f16ToF32  func(dst []float32, src []uint16)
	amaxF32   func(src []float32) float32
	quantF32  func(dst []int8, src []float32, scale float32)
	dequant   func(dst []float32, acc []int32, inv float32, scaleW []float32)
	bf16ToF32 func(dst []float32, src []uint16)
	gemvHalf  func(dst []float32, w []uint16, kind Half, rows, cols int, x []float32)

	siluF32       func(v []float32)
	expShiftedF32 func(dst, src []float32, mx float32)
}

var genericSet = kernelSet{
	dotF32:    dotF32Generic,
	dotInt8:   dotInt8Generic,
	gemvInt8:  gemvInt8Generic,
	rowSums:   rowSumsGeneric,
	gemmInt8:  gemmInt8Generic,
	gemvF32:   gemvF32Generic,
	axpyF32:   axpyF32Generic,
	gemmF32:   gemmF32Generic,
	f16ToF32:  f16ToF32Generic,
	amaxF32:   amaxF32Generic,
	quantF32:  quantF32Generic,
	dequant:   dequantGeneric,
	bf16ToF32: bf16ToF32Generic,
	gemvHalf:  gemvHalfGeneric,

	siluF32:       siluF32Generic,
	expShiftedF32: expShiftedF32Generic,
}

var (
	// sets[l] is the kernel set of level l, nil when the machine lacks it.
	sets = map[ISA]*kernelSet{Generic: &genericSet}
	impl = &genericSet
	cur  = Generic
)

// NoSIMDEnv is the environment variable that, set to "1" at process start, forces Generic.
const NoSIMDEnv = "CT2GO_NOSIMD"

// ISAEnv is the environment variable that, set at process start to a level's name (generic,
// avx2, avxvnni, avx512), makes the kernels run at that level, like CTranslate2's
// CT2_FORCE_CPU_ISA: e.g. to see on one machine what a CPU without AVX-512 would get. An
// unknown name or a level this machine lacks leaves the best level in place and is reported
// by EnvError, so callers can refuse to run rather than measure the wrong level.
const ISAEnv = "CT2GO_ISA"

// envErr is ISAEnv's problem, if any (EnvError).
var envErr error

func init() {
	addArchSets() // per-architecture file
	best := Generic
	for l := range sets {
		if l > best {
			best = l
		}
	}
	if v := os.Getenv(ISAEnv); v != "" {
		l, err := ParseISA(v)
		switch {
		case err != nil:
			envErr = fmt.Errorf("%s=%s: %w", ISAEnv, v, err)
		case sets[l] == nil:
			envErr = fmt.Errorf("%s=%s: this CPU lacks that level (levels here: %s)", ISAEnv, v, levelNames())
		default:
			best = l
		}
	}
	if os.Getenv(NoSIMDEnv) == "1" {
		best = Generic
	}
	impl, cur = sets[best], best
}

// ParseISA returns the level named s (ISA.String's names).
func ParseISA(s string) (ISA, error) {
	for l := Generic; l <= AVX512; l++ {
		if l.String() == s {
			return l, nil
		}
	}
	return Generic, fmt.Errorf("unknown kernel level %q (known: generic, avx2, avxvnni, avx512)", s)
}

// EnvError reports an ISAEnv setting that could not be applied at process start, or nil.
func EnvError() error { return envErr }

func levelNames() string {
	var names []string
	for l := Generic; l <= AVX512; l++ {
		if sets[l] != nil {
			names = append(names, l.String())
		}
	}
	return strings.Join(names, ", ")
}

// ISAs returns the levels usable on this machine, lowest first (always starts with Generic).
// With SetISA it exists for tests and benchmarks, which run every kernel at every level;
// runtime's tests use both, so they cannot move into an export_test.go.
func ISAs() []ISA {
	var out []ISA
	for l := Generic; l <= AVX512; l++ {
		if sets[l] != nil {
			out = append(out, l)
		}
	}
	return out
}

// CurrentISA returns the level the kernels dispatch to.
func CurrentISA() ISA { return cur }

// SetISA switches every kernel to level l and returns the previous level, or an error if
// the machine (or this build) lacks l. Meant for tests and benchmarks: it must not run
// concurrently with kernel calls.
func SetISA(l ISA) (ISA, error) {
	s := sets[l]
	if s == nil {
		return cur, fmt.Errorf("kernels: ISA %v not available on this machine", l)
	}
	prev := cur
	impl, cur = s, l
	return prev, nil
}
