package main

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rssAnonSampler records the largest RssAnon of this process: the kernel
// keeps a high-water mark only for the whole RSS (VmHWM), which counts the
// file-backed pages of mapped weights too, so anonymous memory is sampled.
type rssAnonSampler struct {
	once sync.Once
	done chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	peak int64
}

func startRSSAnonSampler() *rssAnonSampler {
	s := &rssAnonSampler{done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-s.done:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *rssAnonSampler) sample() {
	v := statusBytes("RssAnon:")
	s.mu.Lock()
	s.peak = max(s.peak, v)
	s.mu.Unlock()
}

// stop ends sampling (idempotent) and returns the peak in bytes.
func (s *rssAnonSampler) stop() int64 {
	s.once.Do(func() { close(s.done); s.wg.Wait(); s.sample() })
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}

// statusBytes reads a "kB" field of /proc/self/status (0 if unavailable).
func statusBytes(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			if fs := strings.Fields(rest); len(fs) > 0 {
				kb, _ := strconv.ParseInt(fs[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}
