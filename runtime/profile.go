package runtime

import (
	"fmt"
	"strings"
	"time"
)

// op is one kind of work in a forward pass, for `ct2go bench --profile`.
type op int

const (
	opEmbed op = iota
	opNorm
	opQuant // dynamic int8 quantization of the activations (int8 compute)
	opQKV
	opAttn
	opOut
	opGate
	opUp
	opDown
	opGateUp   // gate and up in one pool call (int8 decode)
	opResidual // residual adds and the SiLU gate product
	opLMHead
	numOps
)

var opNames = [numOps]string{"embedding", "rms norms", "quantize activations", "qkv (linear_0)", "attention",
	"attn out (linear_1)", "ffn gate (linear_0)", "ffn up (linear_0_noact)", "ffn down (linear_1)", "ffn gate+up (fused)", "residual + gate product", "lm_head"}

// stepProfile accumulates wall time per op over the forward passes of a Session.
type stepProfile struct {
	ns, calls    [numOps]int64
	quantPending int64 // quantization time inside the current linear, moved out of its matrix op
	steps        int
}

func (s *Session) tick() time.Time {
	if s.prof == nil {
		return time.Time{}
	}
	return time.Now()
}

func (s *Session) tock(o op, t0 time.Time) {
	p := s.prof
	if p == nil {
		return
	}
	d := int64(time.Since(t0))
	if o >= opQKV && o != opAttn && o != opResidual {
		d -= p.quantPending
		p.quantPending = 0
	}
	p.ns[o] += d
	p.calls[o]++
}

// addQuant records quantization time spent inside a linear.
func (s *Session) addQuant(t0 time.Time) {
	if p := s.prof; p != nil {
		d := int64(time.Since(t0))
		p.ns[opQuant] += d
		p.calls[opQuant]++
		p.quantPending += d
	}
}

// OpTime is one row of a decode profile.
type OpTime struct {
	Op             string  `json:"op"`
	MsPerToken     float64 `json:"ms_per_token"`
	Share          float64 `json:"share"` // of the profiled step time
	CallsPerToken  float64 `json:"calls_per_token"`
	BytesPerToken  int64   `json:"bytes_per_token,omitempty"` // weights read (matrix ops)
	GBPerSec       float64 `json:"gb_per_sec,omitempty"`
	InsideOthers   bool    `json:"inside_others,omitempty"` // overlaps the rows above (fan-out/join)
	StepMsPerToken float64 `json:"-"`
}

// profileRows turns a profile into rows per step (decode) or per prompt
// token (prefill: p.steps set to the token count); pool is the pool's
// fan-out/join measurement over the same calls.
func (m *Model) profileRows(p *stepProfile, pool *poolProfile) []OpTime {
	steps := float64(max(p.steps, 1))
	var total int64
	for _, v := range p.ns {
		total += v
	}
	bytes := map[op]int64{opLMHead: m.proj.bytes(), opEmbed: int64(m.cfg.Hidden * m.embed.dtype.Size())}
	for i := range m.layers {
		l := &m.layers[i]
		if l.qkv != nil {
			bytes[opQKV] += l.qkv.bytes()
		} else {
			bytes[opQKV] += l.q.bytes() + l.k.bytes() + l.v.bytes()
		}
		bytes[opOut] += l.out.bytes()
		bytes[opGate] += l.gate.bytes()
		bytes[opUp] += l.up.bytes()
		bytes[opDown] += l.down.bytes()
		bytes[opGateUp] += l.gate.bytes() + l.up.bytes()
	}
	var rows []OpTime
	for o := op(0); o < numOps; o++ {
		if p.calls[o] == 0 && (o == opGate || o == opUp || o == opGateUp) {
			continue // the FFN ran either fused or as two linears
		}
		r := OpTime{Op: opNames[o], MsPerToken: float64(p.ns[o]) / steps / 1e6, CallsPerToken: float64(p.calls[o]) / steps}
		if total > 0 {
			r.Share = float64(p.ns[o]) / float64(total)
		}
		if b := bytes[o]; b > 0 && o != opEmbed {
			r.BytesPerToken = b
			if p.ns[o] > 0 {
				r.GBPerSec = float64(b) * steps / float64(p.ns[o])
			}
		}
		rows = append(rows, r)
	}
	if pool != nil {
		r := OpTime{Op: "pool fan-out + join", MsPerToken: float64(pool.overheadNs.Load()) / steps / 1e6,
			CallsPerToken: float64(pool.calls.Load()) / steps, InsideOthers: true}
		if total > 0 {
			r.Share = float64(pool.overheadNs.Load()) / float64(total)
		}
		rows = append(rows, r)
	}
	return rows
}

func formatProfile(title string, rows []OpTime) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-26s %9s %6s %8s %9s\n", title, "ms/token", "share", "calls", "GB/s")
	var sum float64
	for _, r := range rows {
		gb := ""
		if r.GBPerSec > 0 {
			gb = fmt.Sprintf("%9.2f", r.GBPerSec)
		}
		name := r.Op
		if r.InsideOthers {
			name = "(" + name + ")"
		} else {
			sum += r.MsPerToken
		}
		fmt.Fprintf(&b, "%-26s %9.3f %5.1f%% %8.1f %s\n", name, r.MsPerToken, 100*r.Share, r.CallsPerToken, gb)
	}
	fmt.Fprintf(&b, "%-26s %9.3f", "total", sum)
	return b.String()
}
