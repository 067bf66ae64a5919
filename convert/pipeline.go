package convert

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/ct2go/ct2go/format/ct2"
	"github.com/ct2go/ct2go/format/half"
	"github.com/ct2go/ct2go/quantize"
)

// Options control a conversion.
type Options struct {
	Quantization   string  // one of Quantizations
	Compat         bool    // reproduce CTranslate2 4.8.1's converter byte for byte (no llama3 RoPE fix)
	Force          Replace // what may become of an existing output directory
	CopyFiles      []string
	AllowNonFinite bool
	Threads        int // quantization workers; 0 = all cores
	// Progress, if set, is told how many input bytes each step consumed.
	Progress func(n int64)
	// OnPlan, if set, sees the plan before any weight is read (e.g. to size a progress bar).
	OnPlan func(*Plan)
	// BeforeVariable, if set, runs before each model.bin variable is written;
	// an error aborts the conversion. It is the fault-injection seam of the
	// bad-input tests (disk full, slow conversion for Ctrl-C).
	BeforeVariable func(name string) error
}

// Summary describes a finished conversion.
type Summary struct {
	Family       string   `json:"family"`
	Quantization string   `json:"quantization"`
	Compat       bool     `json:"ct2_compat"`
	Output       string   `json:"output_dir"`
	Variables    int      `json:"variables"`
	Aliases      int      `json:"aliases"`
	Dropped      int      `json:"dropped_tensors"`
	InputBytes   int64    `json:"input_bytes"`
	OutputBytes  int64    `json:"output_bytes"`
	Seconds      float64  `json:"seconds"`
	F16Overflow  int64    `json:"f16_overflow"`
	F16Underflow int64    `json:"f16_underflow"`
	NonFinite    int64    `json:"non_finite"`
	Files        []string `json:"files"`
	Notes        []string `json:"notes"`
}

// Convert converts the checkpoint in dir into outDir.
func Convert(ctx context.Context, dir, outDir string, opt Options) (*Summary, error) {
	start := time.Now()
	if err := checkOutput(dir, outDir, opt.Force, func(name string) bool { return isCT2OutputFile(name, opt.CopyFiles) }); err != nil {
		return nil, err
	}
	src, err := Open(dir)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	plan, err := src.NewPlan(opt.Quantization, opt.Compat)
	if err != nil {
		return nil, err
	}
	copies, err := filesToCopy(dir, opt.CopyFiles)
	if err != nil {
		return nil, err
	}
	if opt.OnPlan != nil {
		opt.OnPlan(plan)
	}
	sum := &Summary{Family: src.Text.Family, Quantization: opt.Quantization, Compat: opt.Compat, Output: outDir,
		Variables: len(plan.Vars), Aliases: len(plan.Aliases), Dropped: src.Text.Dropped, Notes: plan.Notes}
	err = writeAtomically(outDir, opt.Force, func(tmp string) error {
		// CTranslate2's write order: vocabulary.json, model.bin, config.json (model_spec.py).
		vocab, err := ct2.VocabularyJSON(plan.Vocab)
		if err != nil {
			return err
		}
		if err := writeFile(filepath.Join(tmp, "vocabulary.json"), vocab); err != nil {
			return err
		}
		if err := writeModel(ctx, filepath.Join(tmp, "model.bin"), filepath.Join(outDir, "model.bin"), plan, opt, sum); err != nil {
			return err
		}
		cfg, err := ct2.ConfigJSON(plan.Config)
		if err != nil {
			return err
		}
		if err := writeFile(filepath.Join(tmp, "config.json"), cfg); err != nil {
			return err
		}
		sum.Files = []string{"vocabulary.json", "model.bin", "config.json"}
		for _, c := range copies {
			if err := copyFile(c, filepath.Join(tmp, filepath.Base(c))); err != nil {
				return err
			}
			sum.Files = append(sum.Files, filepath.Base(c))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(filepath.Join(outDir, "model.bin")); err == nil {
		sum.OutputBytes = st.Size()
	}
	sum.Seconds = time.Since(start).Seconds()
	return sum, nil
}

// isCT2OutputFile reports names a conversion writes into its output (so
// ReplaceOutput may delete them): model.bin, config.json, vocabularies,
// the files copied by default and the extra ones asked for now.
func isCT2OutputFile(name string, extra []string) bool {
	switch {
	case name == "model.bin", name == "config.json",
		strings.Contains(name, "vocabulary") && (strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".txt")):
		return true
	}
	return slices.Contains(DefaultCopyFiles, name) || slices.Contains(extra, name)
}

// filesToCopy resolves the default and requested extra files; a requested
// file that is missing is an error, a default one is simply skipped.
func filesToCopy(dir string, extra []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, name := range DefaultCopyFiles {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			out = append(out, p)
			seen[name] = true
		}
	}
	for _, name := range extra {
		if name != filepath.Base(name) || name == "." || name == ".." {
			return nil, &CopyFileError{Name: name, Reason: "give a file name inside the model directory"}
		}
		if seen[name] {
			continue
		}
		switch name {
		case "model.bin", "config.json", "vocabulary.json":
			return nil, &CopyFileError{Name: name, Reason: "would overwrite the converted " + name}
		}
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
			return nil, &CopyFileError{Name: name, Reason: "does not exist in " + dir}
		}
		out = append(out, p)
		seen[name] = true
	}
	return out, nil
}

// job is one chunk of rows of one tensor, processed by a worker and written
// in order.
type job struct {
	r0, r1 int
	f32    []float32
	out    []byte
	stats  rowStats
	done   chan struct{}
}

const chunkElems = 1 << 16 // 256 KiB of float32 scratch per chunk: stays in L2 across the decode, amax and quantize passes

// writeModel streams every variable of the plan into path (inside the
// temporary output); errors name display, the model.bin the user asked for.
func writeModel(ctx context.Context, path, display string, plan *Plan, opt Options, sum *Summary) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("%s: %w", display, bare(err))
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	sw := newStreamWriter(f)
	defer func() {
		if cerr := sw.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("%s: %w", display, bare(cerr))
		}
		if err == nil {
			if serr := f.Sync(); serr != nil {
				err = fmt.Errorf("%s: %w", display, bare(serr))
			}
		}
	}()
	w, err := ct2.NewWriter(sw, ct2.DecoderSpecName, ct2.DecoderSpecRevision, len(plan.Vars))
	if err != nil {
		return fmt.Errorf("%s: %w", display, bare(err))
	}
	threads := opt.Threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	scales := map[*Var][]float32{}
	prefetched := 0
	for i, v := range plan.Vars {
		if err := ctx.Err(); err != nil {
			return err
		}
		// Ask the kernel to start reading the next tensors while this one is
		// converted, so I/O overlaps compute (model.bin order jumps between shards).
		for ; prefetched < len(plan.Vars) && prefetched <= i+2; prefetched++ {
			plan.Vars[prefetched].willNeed()
		}
		if opt.BeforeVariable != nil {
			if err := opt.BeforeVariable(v.Name); err != nil {
				return fmt.Errorf("%s: %w", display, bare(err))
			}
		}
		if err := w.Begin(v.Name, v.Shape, v.DType); err != nil {
			return fmt.Errorf("%s: %w", display, bare(err))
		}
		switch v.Kind {
		case kindScalar:
			_, err = w.Write(v.scalar)
		case kindScale:
			_, err = w.Write(f32Bytes(scales[v.weight]))
			delete(scales, v.weight)
		default:
			var st rowStats
			var sc []float32
			st, sc, err = streamTensor(ctx, w, v, threads, opt.Progress)
			if sc != nil {
				scales[v] = sc
			}
			if st.nonFinite > 0 {
				sum.NonFinite += st.nonFinite
				if !opt.AllowNonFinite {
					file := ""
					if len(v.srcs) > 0 && v.srcs[0].T.File != nil {
						file = filepath.Base(v.srcs[0].T.File.Path)
					}
					return &NonFiniteError{Variable: v.Name, Tensor: srcNames(v), File: file, Count: st.nonFinite}
				}
			}
			sum.F16Overflow += st.loss.Overflow
			sum.F16Underflow += st.loss.Underflow
			sum.InputBytes += srcBytes(v)
		}
		if err != nil {
			return fmt.Errorf("%s: %s: %w", display, v.Name, bare(err))
		}
	}
	if err := w.Close(plan.Aliases); err != nil {
		return fmt.Errorf("%s: %w", display, bare(err))
	}
	return f.Sync()
}

// srcNames names v's source tensors with their shards.
func srcNames(v *Var) string {
	s := ""
	for i, r := range v.srcs {
		if i > 0 {
			s += ", "
		}
		s += r.T.Name + " in " + filepath.Base(r.T.File.Path)
	}
	return s
}

// bare drops the path an *fs.PathError carries (the temporary file's), so
// messages name the file once, as the user knows it.
func bare(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

func srcBytes(v *Var) int64 {
	var n int64
	for _, r := range v.srcs {
		n += r.T.NBytes / int64(max(1, firstDim(r.T))) * int64(r.Rows)
	}
	return n
}

// streamTensor converts one tensor chunk by chunk: workers decode and
// quantize in parallel, the chunks are written in order. For int8 it
// returns the per-row scales; for int16 the single scale.
func streamTensor(ctx context.Context, w io.Writer, v *Var, threads int, progress func(int64)) (rowStats, []float32, error) {
	rows, cols := v.rows(), v.cols()
	step := max(1, chunkElems/max(cols, 1))
	var scales []float32
	var int16Scale float32
	switch v.DType {
	case ct2.Int8:
		scales = make([]float32, rows)
	case ct2.Int16:
		// One scale for the whole tensor: a first pass finds max |w|.
		var amax float32
		var mu sync.Mutex
		st, err := runChunks(ctx, v, step, threads, func(j *job) {
			a := quantize.AbsMax(j.f32)
			mu.Lock()
			if a > amax || a != a {
				amax = a
			}
			mu.Unlock()
		}, nil)
		if err != nil {
			return st, nil, err
		}
		int16Scale = quantize.Int16Scale(amax)
		scales = []float32{int16Scale}
	}
	itemSize := v.DType.Size()
	bytesPerRow := srcBytes(v) / int64(rows)
	st, err := runChunks(ctx, v, step, threads, func(j *job) {
		n := len(j.f32)
		j.out = grow(j.out, n*itemSize)
		switch v.DType {
		case ct2.Float32:
			copy(j.out, f32Bytes(j.f32))
		case ct2.Float16:
			for i, x := range j.f32 {
				binary.LittleEndian.PutUint16(j.out[2*i:], half.F32ToF16(x))
			}
		case ct2.BFloat16:
			for i, x := range j.f32 {
				binary.LittleEndian.PutUint16(j.out[2*i:], half.F32ToBF16(x))
			}
		case ct2.Int8:
			quantize.Int8Rows(unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(j.out))), n), scales[j.r0:j.r1], j.f32, cols)
		case ct2.Int16:
			q := make([]int16, n)
			quantize.Int16(q, j.f32, int16Scale)
			for i, x := range q {
				binary.LittleEndian.PutUint16(j.out[2*i:], uint16(x))
			}
		}
	}, func(j *job) error {
		if _, err := w.Write(j.out); err != nil {
			return err
		}
		v.release(j.r0, j.r1)
		if progress != nil {
			progress(bytesPerRow * int64(j.r1-j.r0))
		}
		return nil
	})
	// Chunk releases keep whole pages only; the pages straddling chunk
	// boundaries go now, so nothing per chunk stays resident.
	v.release(0, rows)
	// For int16 these stats are the second pass's only: the amax pass read the same values.
	return st, scales, err
}

// runChunks reads v's rows in chunks of step rows, decodes each chunk and
// runs work on it in parallel, then emit on each chunk in order. At most
// 2×threads chunks are in flight, so memory stays bounded whatever the
// tensor size.
func runChunks(ctx context.Context, v *Var, step, threads int, work func(*job), emit func(*job) error) (rowStats, error) {
	rows, cols := v.rows(), v.cols()
	var total rowStats
	work1 := make(chan *job)
	order := make(chan *job, 2*threads)
	free := make(chan *job, 2*threads+1)
	for i := 0; i < cap(free); i++ {
		free <- &job{}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < threads; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work1 {
				j.stats = v.readRows(j.f32, j.r0, j.r1)
				work(j)
				close(j.done)
			}
		}()
	}
	// Feeder: hands chunks to the workers and queues them for in-order emission.
	go func() {
		defer close(order)
		defer close(work1)
		for r := 0; r < rows; r += step {
			var j *job
			select {
			case j = <-free:
			case <-stop:
				return
			}
			j.r0, j.r1 = r, min(rows, r+step)
			j.f32 = grow(j.f32, (j.r1-j.r0)*cols)
			j.done = make(chan struct{})
			select {
			case order <- j:
			case <-stop:
				return
			}
			work1 <- j
		}
	}()
	var err error
	for j := range order {
		<-j.done
		if err == nil {
			err = ctx.Err()
		}
		if err == nil {
			total.add(j.stats)
			if emit != nil {
				err = emit(j)
			}
		}
		if err != nil {
			select {
			case <-stop:
			default:
				close(stop)
			}
		}
		free <- j
	}
	wg.Wait()
	return total, err
}

func grow[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}

func f32Bytes(x []float32) []byte {
	if len(x) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(x))), 4*len(x))
}

// willNeed starts read-ahead of v's source rows.
func (v *Var) willNeed() {
	for _, ref := range v.srcs {
		ref.T.File.WillNeed(ref.T.Offset, refBytes(ref))
	}
}

// release drops the source pages behind rows [r0, r1) from resident memory.
func (v *Var) release(r0, r1 int) {
	base := 0
	for _, ref := range v.srcs {
		rows := ref.Rows
		if len(v.Shape) < 2 {
			rows = 1
		}
		lo, hi := max(r0, base), min(r1, base+rows)
		if lo < hi {
			rowBytes := ref.T.NBytes / int64(max(1, firstDim(ref.T)))
			if len(v.Shape) < 2 {
				rowBytes = ref.T.NBytes
			}
			ref.T.File.Release(ref.T.Offset+int64(lo-base)*rowBytes, int64(hi-lo)*rowBytes)
		}
		base += rows
	}
}
