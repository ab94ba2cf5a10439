package store

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"guichet/kiosk/request"
)

// percentiles reports the median and 99th percentile of ds in microseconds.
func percentiles(b *testing.B, prefix string, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	at := func(p float64) float64 {
		return float64(ds[min(len(ds)-1, int(p*float64(len(ds))))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(at(0.50), prefix+"p50-µs")
	b.ReportMetric(at(0.99), prefix+"p99-µs")
}

// fdatasyncLatencies overwrites one 4 KiB page of a file in dir and
// fdatasyncs it n times: the physical floor under any durable commit.
func fdatasyncLatencies(b *testing.B, dir string, n int) []time.Duration {
	f, err := os.Create(filepath.Join(dir, "floor"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	page := make([]byte, 4096)
	if _, err := f.Write(page); err != nil {
		b.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	ds := make([]time.Duration, 0, n)
	for i := range n {
		page[0] = byte(i)
		if _, err := f.WriteAt(page, 0); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(start))
	}
	return ds
}

// BenchmarkFdatasync is the floor on its own: one page write and fdatasync.
func BenchmarkFdatasync(b *testing.B) {
	dir := b.TempDir()
	b.ResetTimer()
	percentiles(b, "", fdatasyncLatencies(b, dir, b.N))
}

func benchStore(b *testing.B) *fixture {
	return openTest(b, func(o *Options) { o.MaxSize = -1 })
}

// drafts prepares n drafts so that id generation stays out of the timing.
func drafts(b *testing.B, n int) []request.Request {
	out := make([]request.Request, n)
	for i := range out {
		out[i] = draft(b)
	}
	return out
}

// BenchmarkSubmit measures one durable Submit at a time (seal, one bbolt
// transaction, two fdatasyncs), next to the raw fdatasync latency measured
// in the same directory in the same run.
func BenchmarkSubmit(b *testing.B) {
	f := benchStore(b)
	floor := fdatasyncLatencies(b, filepath.Dir(f.path), 200)
	ds := drafts(b, b.N)
	data := personal("bench")
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		if _, err := f.Submit(ctx, ds[i], data); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	percentiles(b, "", lat)
	percentiles(b, "fdatasync-", floor)
}

// BenchmarkSubmitConcurrent measures throughput with 1, 4 and 16 citizens'
// submissions in flight (as many kiosks' worth of load as a test bench can
// offer): group commit shares each transaction's fdatasyncs.
func BenchmarkSubmitConcurrent(b *testing.B) {
	for _, n := range []int{1, 4, 16} {
		b.Run("submitters="+itoa(n), func(b *testing.B) {
			f := benchStore(b)
			ds := drafts(b, b.N)
			data := personal("bench")
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1) - 1
						if i >= int64(b.N) {
							return
						}
						if _, err := f.Submit(ctx, ds[i], data); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "submits/s")
		})
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
