//go:build !amd64

package kernels

func streamRead(p []byte) uint64 { return streamReadGo(p) }

func streamRead4(p []byte) uint64 { return streamReadGo(p) }
