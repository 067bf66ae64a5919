package kernels

// StreamRead reads every byte of p once with wide sequential loads and returns
// a checksum (so the loads cannot be elided): the sum of the little-endian
// uint64 words of the 128-byte blocks plus the bytes of the tail. It is the STREAM-like memory
// read probe of `ct2go bench`: one sequential stream, no writes, the same load
// width as the GEMV kernels of the selected ISA level (256-bit on AVX2 and up).
func StreamRead(p []byte) uint64 {
	n := len(p) &^ 127
	var s uint64
	if n > 0 {
		s = streamRead(p[:n])
	}
	for _, v := range p[n:] {
		s += uint64(v)
	}
	return s
}

// streamReadGo is the portable body: four independent uint64 sums.
func streamReadGo(p []byte) uint64 {
	var s0, s1, s2, s3 uint64
	for i := 0; i+32 <= len(p); i += 32 {
		s0 += le64(p[i:])
		s1 += le64(p[i+8:])
		s2 += le64(p[i+16:])
		s3 += le64(p[i+24:])
	}
	return s0 + s1 + s2 + s3
}

func le64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// StreamRead4 is StreamRead reading the four quarters of p's 128-byte-block
// body as four concurrent sequential streams, as the 4-row GEMV does: one
// stream per core does not saturate DRAM on every CPU (the line-fill buffers
// and prefetchers of one stream run dry first). Same checksum as StreamRead.
func StreamRead4(p []byte) uint64 {
	n := len(p) &^ 127
	var s uint64
	if n > 0 {
		s = streamRead4(p[:n])
	}
	for _, v := range p[n:] {
		s += uint64(v)
	}
	return s
}
