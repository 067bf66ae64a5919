//go:build amd64

package kernels

// SpinPause is one PAUSE instruction: the hint for a spin-wait loop, which
// yields the core's execution resources to a hyper-thread sibling and avoids
// the memory-order flush when the awaited store arrives.
//
//go:noescape
func SpinPause()
