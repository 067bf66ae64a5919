//go:build !amd64

package kernels

// SpinPause is a no-op spin-wait hint on this architecture.
func SpinPause() {}
