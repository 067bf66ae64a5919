package runtime

import "golang.org/x/sys/unix"

// adviseHuge asks for transparent huge pages (2 MiB: one TLB entry where 4 KiB
// pages need 512); advisory, so an error (THP disabled) just leaves 4 KiB pages.
func adviseHuge(b []byte) { _ = unix.Madvise(b, unix.MADV_HUGEPAGE) }
