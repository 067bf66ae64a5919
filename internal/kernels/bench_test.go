package kernels

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

// Benchmarks report bandwidth with b.SetBytes (MB/s column, 1 MB = 1e6 B) and, for GEMM,
// a GMAC/s metric. Run all of them in one go so ratios come from one machine state:
//
//	go test -run '^$' -bench . -benchtime 20x ./internal/kernels
//
// The GEMV benchmarks rotate over weight matrices cut from one 1 GiB buffer so each call
// reads its matrix from DRAM, as a decode step does (the 7.5 GB of an 8B int8 model cannot
// stay in any cache; this machine's L3 holds 260 MiB).

const bigBuf = 1 << 30

var (
	bigOnce sync.Once
	big     []int8
)

func bigBuffer() []int8 {
	bigOnce.Do(func() {
		big = make([]int8, bigBuf)
		r := rand.New(rand.NewPCG(11, 12))
		u := unsafe.Slice((*uint64)(unsafe.Pointer(&big[0])), bigBuf/8)
		for i := range u {
			u[i] = r.Uint64()
		}
	})
	return big
}

// parallelRows splits [0, rows) into g contiguous ranges and runs f on each concurrently,
// as the runtime does.
func parallelRows(rows, g int, f func(r0, r1 int)) {
	if g == 1 {
		f(0, rows)
		return
	}
	var wg sync.WaitGroup
	for i := 0; i < g; i++ {
		r0, r1 := rows*i/g, rows*(i+1)/g
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(r0, r1)
		}()
	}
	wg.Wait()
}

func BenchmarkMemRead(b *testing.B) {
	buf := bigBuffer()
	for _, streams := range []int{1, 4} {
		probe := memReadSum
		if streams == 4 {
			probe = memReadSum4
		}
		for _, g := range []int{1, 2} {
			b.Run(fmt.Sprintf("1GiB/streams=%d/threads=%d", streams, g), func(b *testing.B) {
				b.SetBytes(bigBuf)
				var sink atomic.Uint64
				for i := 0; i < b.N; i++ {
					parallelRows(bigBuf/128, g, func(r0, r1 int) { sink.Add(probe(buf[r0*128 : r1*128])) })
				}
			})
		}
	}
}

func forEachBenchISA(b *testing.B, f func(b *testing.B)) {
	for _, l := range ISAs() {
		b.Run(l.String(), func(b *testing.B) {
			prev, _ := SetISA(l)
			defer SetISA(prev)
			f(b)
		})
	}
}

func BenchmarkGemvInt8(b *testing.B) {
	buf := bigBuffer()
	for _, shape := range [][2]int{{14336, 4096}, {4096, 14336}} {
		rows, cols := shape[0], shape[1]
		nmat := bigBuf / (rows * cols)
		x := randInt8(rand.New(rand.NewPCG(1, 1)), cols, "random")
		dst := make([]int32, rows)
		comp := make([]int32, rows*nmat)
		for m := 0; m < nmat; m++ {
			RowSumsInt8(comp[m*rows:(m+1)*rows], buf[m*rows*cols:(m+1)*rows*cols], rows, cols)
		}
		for _, withComp := range []bool{false, true} {
			for _, g := range []int{1, 2} {
				name := fmt.Sprintf("%dx%d/comp=%v/threads=%d", rows, cols, withComp, g)
				b.Run(name, func(b *testing.B) {
					forEachBenchISA(b, func(b *testing.B) {
						if CurrentISA() == Generic && (withComp || g == 1) {
							b.Skip("generic: one configuration is enough")
						}
						b.SetBytes(int64(rows * cols))
						for i := 0; i < b.N; i++ {
							m := i % nmat
							w := buf[m*rows*cols : (m+1)*rows*cols]
							c := comp[m*rows : (m+1)*rows]
							parallelRows(rows, g, func(r0, r1 int) {
								if withComp {
									GemvInt8Comp(dst[r0:r1], w[r0*cols:r1*cols], r1-r0, cols, x, c[r0:r1])
								} else {
									GemvInt8(dst[r0:r1], w[r0*cols:r1*cols], r1-r0, cols, x)
								}
							})
						}
					})
				})
			}
		}
	}
}

func BenchmarkGemmInt8(b *testing.B) {
	const n = 128
	for _, shape := range [][2]int{{4096, 4096}, {14336, 4096}, {4096, 14336}} {
		rows, cols := shape[0], shape[1]
		r := rand.New(rand.NewPCG(2, 2))
		w, x := randInt8(r, rows*cols, "random"), randInt8(r, n*cols, "random")
		comp := make([]int32, rows)
		RowSumsInt8(comp, w, rows, cols)
		dst := make([]int32, n*rows)
		for _, withComp := range []bool{false, true} {
			for _, g := range []int{1, 2} {
				name := fmt.Sprintf("%dx%d/n=%d/comp=%v/threads=%d", rows, cols, n, withComp, g)
				b.Run(name, func(b *testing.B) {
					forEachBenchISA(b, func(b *testing.B) {
						if CurrentISA() == Generic {
							b.Skip("generic GEMM is too slow to be worth timing here")
						}
						cpu0 := processCPUTime()
						for i := 0; i < b.N; i++ {
							parallelRows(rows, g, func(r0, r1 int) {
								if withComp {
									GemmInt8Comp(dst[r0:], rows, w[r0*cols:r1*cols], r1-r0, cols, x, n, comp[r0:r1])
								} else {
									GemmInt8Stride(dst[r0:], rows, w[r0*cols:r1*cols], r1-r0, cols, x, n)
								}
							})
						}
						cpu := (processCPUTime() - cpu0).Seconds()
						macs := float64(rows) * float64(cols) * n * float64(b.N)
						b.ReportMetric(macs/b.Elapsed().Seconds()/1e9, "GMAC/s")
						b.ReportMetric(2*macs/b.Elapsed().Seconds()/1e9, "GOP/s") // 1 MAC = 2 ops
						if cpu > 0 {
							// Per CPU-second per thread: the speed of one core running the kernel.
							b.ReportMetric(macs/cpu/1e9, "GMAC/cpu-s")
						}
					})
				})
			}
		}
	}
}

func memReadSumGo(p []int8) uint64 {
	var s uint64
	for _, v := range p {
		s += uint64(uint8(v))
	}
	return s
}

// BenchmarkGemvInt8VsMem interleaves the memory-read probe and GemvInt8Comp (the runtime's
// decode call) on equally sized
// regions of the 1 GiB buffer (alternate regions, so neither finds the other's data in L3)
// and reports both bandwidths and GemvInt8's share of the probe's, which is robust against
// the drift of a shared machine. This is the decode figure of merit: % of read bandwidth.
// The probe alternates one-stream and four-stream reads (mem-GB/s is their mean).
func BenchmarkGemvInt8VsMem(b *testing.B) {
	buf := bigBuffer()
	for _, shape := range [][2]int{{14336, 4096}, {4096, 14336}} {
		rows, cols := shape[0], shape[1]
		size := rows * cols
		nmat := bigBuf / size &^ 1 // even, so regions alternate strictly
		x := randInt8(rand.New(rand.NewPCG(1, 1)), cols, "random")
		dst := make([]int32, rows)
		comp := make([]int32, rows) // content irrelevant for timing
		for _, g := range []int{1, 2} {
			b.Run(fmt.Sprintf("%dx%d/threads=%d", rows, cols, g), func(b *testing.B) {
				var tMem, tGemv time.Duration
				var sink atomic.Uint64
				for i := 0; i < b.N; i++ {
					// Probe with one stream on even iterations, four streams on odd ones.
					probe := memReadSum
					if i%2 == 1 {
						probe = memReadSum4
					}
					mm := (2 * i) % nmat
					mem := buf[mm*size : (mm+1)*size]
					t0 := time.Now()
					parallelRows(size/128, g, func(r0, r1 int) { sink.Add(probe(mem[r0*128 : r1*128])) })
					t1 := time.Now()
					mg := (2*i + 1) % nmat
					w := buf[mg*size : (mg+1)*size]
					parallelRows(rows, g, func(r0, r1 int) {
						GemvInt8Comp(dst[r0:r1], w[r0*cols:r1*cols], r1-r0, cols, x, comp[r0:r1])
					})
					tGemv += time.Since(t1)
					tMem += t1.Sub(t0)
				}
				bytes := float64(size) * float64(b.N)
				b.ReportMetric(bytes/tMem.Seconds()/1e9, "mem-GB/s")
				b.ReportMetric(bytes/tGemv.Seconds()/1e9, "gemv-GB/s")
				b.ReportMetric(100*tMem.Seconds()/tGemv.Seconds(), "%bw")
			})
		}
	}
}

// BenchmarkGemmInt8Chunked splits a 4096x4096, n=128 product into 8 row chunks the way the
// runtime's worker pool does, with per-call packing (GemmInt8Comp) and with one shared
// PackedInt8 (GemmInt8Packed).
func BenchmarkGemmInt8Chunked(b *testing.B) {
	const rows, cols, n, chunks = 4096, 4096, 128, 8
	r := rand.New(rand.NewPCG(5, 5))
	w, x := randInt8(r, rows*cols, "random"), randInt8(r, n*cols, "random")
	comp := make([]int32, rows)
	RowSumsInt8(comp, w, rows, cols)
	dst := make([]int32, n*rows)
	var pk PackedInt8
	for _, mode := range []string{"Comp", "Packed"} {
		b.Run(mode, func(b *testing.B) {
			cpu0 := processCPUTime()
			for i := 0; i < b.N; i++ {
				if mode == "Packed" {
					pk.Pack(x, n, cols)
				}
				for c := 0; c < chunks; c++ {
					r0, r1 := rows*c/chunks, rows*(c+1)/chunks
					if mode == "Packed" {
						GemmInt8Packed(dst[r0:], rows, w[r0*cols:r1*cols], r1-r0, &pk, comp[r0:r1])
					} else {
						GemmInt8Comp(dst[r0:], rows, w[r0*cols:r1*cols], r1-r0, cols, x, n, comp[r0:r1])
					}
				}
			}
			if cpu := (processCPUTime() - cpu0).Seconds(); cpu > 0 {
				b.ReportMetric(float64(rows)*cols*n*float64(b.N)/cpu/1e9, "GMAC/cpu-s")
			}
		})
	}
}

// BenchmarkDot times the dot products on cache-resident vectors (the attention-score and
// read-probe uses), bytes = both inputs.
func BenchmarkDot(b *testing.B) {
	r := rand.New(rand.NewPCG(6, 6))
	const n = 16384
	a8, b8 := randInt8(r, n, "random"), randInt8(r, n, "random")
	af, bf := randF32(r, n), randF32(r, n)
	forEachBenchISA(b, func(b *testing.B) {
		b.Run("Int8", func(b *testing.B) {
			b.SetBytes(2 * n)
			var s int32
			for i := 0; i < b.N; i++ {
				s += DotInt8(a8, b8)
			}
			_ = s
		})
		b.Run("F32", func(b *testing.B) {
			b.SetBytes(8 * n)
			var s float32
			for i := 0; i < b.N; i++ {
				s += DotF32(af, bf)
			}
			_ = s
		})
	})
}

// BenchmarkQuantDequant times one token's activation quantization (4096 and 14336 wide)
// and the dequantization of a 14336-row output, per ISA level.
func BenchmarkQuantDequant(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 7))
	src := randF32(r, 14336)
	q := make([]int8, len(src))
	acc := make([]int32, 14336)
	sw := randF32(r, 14336)
	out := make([]float32, 14336)
	forEachBenchISA(b, func(b *testing.B) {
		for _, n := range []int{4096, 14336} {
			b.Run(fmt.Sprintf("Quantize/%d", n), func(b *testing.B) {
				b.SetBytes(int64(4 * n))
				for i := 0; i < b.N; i++ {
					QuantizeRowInt8(q[:n], src[:n])
				}
			})
		}
		b.Run("Dequant/14336", func(b *testing.B) {
			b.SetBytes(4 * 14336)
			for i := 0; i < b.N; i++ {
				DequantRowInt32(out, acc, 3.5, sw)
			}
		})
	})
}

// BenchmarkGemmF32 times the float32 GEMM (1024x4096 weights, n=128) per ISA level.
func BenchmarkGemmF32(b *testing.B) {
	const rows, cols, n = 1024, 4096, 128
	r := rand.New(rand.NewPCG(9, 9))
	w, x := randF32(r, rows*cols), randF32(r, n*cols)
	dst := make([]float32, n*rows)
	forEachBenchISA(b, func(b *testing.B) {
		cpu0 := processCPUTime()
		for i := 0; i < b.N; i++ {
			GemmF32(dst, w, rows, cols, x, n)
		}
		if cpu := (processCPUTime() - cpu0).Seconds(); cpu > 0 {
			b.ReportMetric(float64(rows)*cols*n*float64(b.N)/cpu/1e9, "GMAC/cpu-s")
		}
	})
}

// llama8BLayer lists the int8 matrices of one Llama-3.1-8B decoder layer as CT2 stores them
// (fused q/k/v, o, gate, up, down; rows x cols), 218,103,808 bytes in all.
var llama8BLayer = [][2]int{{6144, 4096}, {4096, 4096}, {14336, 4096}, {14336, 4096}, {4096, 14336}}

// llama8BMACs is the int8 multiply-accumulates of one 8B token (32 layers + lm_head),
// equal to its weight bytes: 32*218,103,808 + 128256*4096 = 7,505,707,008.
const llama8BMACs = 32*218103808 + 128256*4096

// BenchmarkDecode8B runs GemvInt8Comp over consecutive 8B-shaped layers cut from the 1 GiB
// buffer (about 4.9 layers, so every matrix comes from DRAM) with rows split across g
// goroutines, and projects tokens/s for the whole model from the bytes streamed.
func BenchmarkDecode8B(b *testing.B) {
	buf := bigBuffer()
	x := randInt8(rand.New(rand.NewPCG(10, 10)), 14336, "random")
	dst := make([]int32, 14336)
	comp := make([]int32, 14336) // values irrelevant for timing
	for _, g := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", g), func(b *testing.B) {
			var bytes int64
			off := 0
			start := time.Now()
			for i := 0; i < b.N; i++ {
				for _, m := range llama8BLayer {
					rows, cols := m[0], m[1]
					if off+rows*cols > len(buf) {
						off = 0
					}
					w := buf[off : off+rows*cols]
					off += rows * cols
					parallelRows(rows/16, g, func(p0, p1 int) {
						r0, r1 := p0*16, p1*16
						GemvInt8Comp(dst[r0:r1], w[r0*cols:r1*cols], r1-r0, cols, x[:cols], comp[r0:r1])
					})
					bytes += int64(rows * cols)
				}
			}
			sec := time.Since(start).Seconds()
			b.ReportMetric(float64(bytes)/sec/1e9, "GB/s")
			b.ReportMetric(float64(bytes)/sec/llama8BMACs, "tok/s(8B)")
		})
	}
}

// BenchmarkPrefill8B runs the int8 GEMMs of 8B-shaped layers for a 128-token prompt
// (GemmInt8Packed, tokens packed once per matrix input as the runtime can do, rows split
// across g goroutines) and projects prompt tokens/s for the whole model.
func BenchmarkPrefill8B(b *testing.B) {
	const n = 128
	buf := bigBuffer()
	r := rand.New(rand.NewPCG(11, 11))
	x := randInt8(r, n*14336, "random")
	dst := make([]int32, n*14336)
	comp := make([]int32, 14336)
	var pk4096, pk14336 PackedInt8
	forEachBenchISA(b, func(b *testing.B) {
		if CurrentISA() == Generic {
			b.Skip("generic GEMM is too slow to be worth timing here")
		}
		for _, g := range []int{1, 2} {
			b.Run(fmt.Sprintf("threads=%d", g), func(b *testing.B) {
				var macs float64
				off := 0
				start := time.Now()
				cpu0 := processCPUTime()
				for i := 0; i < b.N; i++ {
					pk4096.Pack(x[:n*4096], n, 4096)
					pk14336.Pack(x, n, 14336)
					for _, m := range llama8BLayer {
						rows, cols := m[0], m[1]
						if off+rows*cols > len(buf) {
							off = 0
						}
						w := buf[off : off+rows*cols]
						off += rows * cols
						pk := &pk4096
						if cols == 14336 {
							pk = &pk14336
						}
						parallelRows(rows/16, g, func(p0, p1 int) {
							r0, r1 := p0*16, p1*16
							GemmInt8Packed(dst[r0:], rows, w[r0*cols:r1*cols], r1-r0, pk, comp[r0:r1])
						})
						macs += float64(rows) * float64(cols) * n
					}
				}
				sec := time.Since(start).Seconds()
				b.ReportMetric(macs/sec/1e9, "GMAC/s")
				b.ReportMetric(macs/sec/llama8BMACs, "tok/s(8B)")
				if cpu := (processCPUTime() - cpu0).Seconds(); cpu > 0 {
					b.ReportMetric(macs/cpu/1e9, "GMAC/cpu-s")
				}
			})
		}
	})
}

// BenchmarkGemmF32Blocks multiplies 128 tokens by a 1024x4096 float32 matrix in 8-row
// blocks (the runtime widens float16/bfloat16 weights 8 rows at a time): GemmF32Stride per
// block against one PackedF32 shared by the blocks.
func BenchmarkGemmF32Blocks(b *testing.B) {
	const rows, cols, n, blk = 1024, 4096, 128, 8
	r := rand.New(rand.NewPCG(12, 12))
	w, x := randF32(r, rows*cols), randF32(r, n*cols)
	dst := make([]float32, n*rows)
	var pf PackedF32
	for _, mode := range []string{"Stride", "Packed"} {
		b.Run(mode, func(b *testing.B) {
			cpu0 := processCPUTime()
			for i := 0; i < b.N; i++ {
				if mode == "Packed" {
					pf.Pack(x, n, cols)
				}
				for r0 := 0; r0 < rows; r0 += blk {
					if mode == "Packed" {
						GemmF32Packed(dst[r0:], rows, w[r0*cols:(r0+blk)*cols], blk, &pf)
					} else {
						GemmF32Stride(dst[r0:], rows, w[r0*cols:(r0+blk)*cols], blk, cols, x, n)
					}
				}
			}
			if cpu := (processCPUTime() - cpu0).Seconds(); cpu > 0 {
				b.ReportMetric(float64(rows)*cols*n*float64(b.N)/cpu/1e9, "GMAC/cpu-s")
			}
		})
	}
}
