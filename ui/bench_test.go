package ui

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"guichet/kiosk/flow"
	"guichet/kiosk/flow/flowtest"
)

// The fake clock of the rig never moves by itself: no idle timeout
// interferes with the benchmarks.

// BenchmarkTapToNextScreen measures a tap on a service button until the
// next screen's widgets are built and laid out (the test driver lays out
// synchronously), then the tap back: two screens per iteration.
func BenchmarkTapToNextScreen(b *testing.B) {
	for _, lang := range []string{"ar", "fr"} {
		b.Run(lang, func(b *testing.B) {
			r := newRig(b, "ma", flow.Config{})
			r.tap(b, flow.TapStart)
			r.tap(b, flow.PrefixLanguage+lang)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				test.Tap(r.K.Buttons[flow.PrefixService+"bulletin3"])
				test.Tap(r.K.Buttons[flow.TapBack])
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(2*b.N)/1000, "ms/screen")
		})
	}
}

// BenchmarkTapToNextScreenPainted adds painting the whole window with the
// test driver's software painter (slower than the kiosk's OpenGL).
func BenchmarkTapToNextScreenPainted(b *testing.B) {
	r := newRig(b, "ma", flow.Config{})
	r.tap(b, flow.TapStart)
	r.tap(b, flow.PrefixLanguage+"ar")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		test.Tap(r.K.Buttons[flow.PrefixService+"bulletin3"])
		r.W.Canvas().Capture()
		test.Tap(r.K.Buttons[flow.TapBack])
		r.W.Canvas().Capture()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(2*b.N)/1000, "ms/screen")
}

// BenchmarkSessionMemory runs whole bulletin n°3 requests through the
// widgets, each ending with the session wiped, and reports the live heap
// after 1 and after 100 of them: the kiosk must not grow with use.
//
// Fyne keeps the renderers of removed widgets, and text metrics, for
// FYNE_CACHE (one minute by default) and frees them when a frame is
// painted, at most every 10 s. The kiosk paints all the time; this
// benchmark paints (Capture) and waits out the throttle before each
// measurement, and runs itself again with FYNE_CACHE=1s so that the
// measurement is of what the kiosk keeps, not of what Fyne has not yet
// expired.
func BenchmarkSessionMemory(b *testing.B) {
	if os.Getenv("FYNE_CACHE") == "" {
		rerunWithShortCache(b, "BenchmarkSessionMemory")
		return
	}
	sessions := 100
	if n, err := strconv.Atoi(os.Getenv("GUICHET_SESSIONS")); err == nil && n > 1 {
		sessions = n
	}
	for i := 0; i < b.N; i++ {
		r := newRig(b, "ma", flow.Config{DoneDelay: time.Second})
		session := func() {
			plan := flowtest.Plan{Lang: "ar", Service: "bulletin3"}
			for j := 0; j < 200; j++ {
				st, done := r.Next(r.K.Screen(), plan)
				if done {
					break
				}
				r.do(b, st)
			}
			if got := r.K.Screen().Kind; got != flow.KindDone {
				b.Fatalf("session ended on %s", got)
			}
			r.Clock.Advance(time.Second) // back to attract
		}
		settle := func() uint64 {
			time.Sleep(11 * time.Second) // Fyne cleans at most every 10 s
			r.W.Canvas().Capture()
			return liveHeap()
		}
		session()
		after1 := settle()
		for j := 1; j < sessions; j++ {
			session()
		}
		afterN := settle()
		b.ReportMetric(float64(after1)/1024, "KiB-heap-after-1")
		b.ReportMetric(float64(afterN)/1024, "KiB-heap-after-"+strconv.Itoa(sessions))
		b.ReportMetric(float64(int64(afterN)-int64(after1))/1024, "KiB-growth")
	}
}

// rerunWithShortCache runs one benchmark of this test binary again with
// FYNE_CACHE=1s and reports its metrics as its own.
func rerunWithShortCache(b *testing.B, name string) {
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^"+name+"$", "-test.benchtime=1x")
	cmd.Env = append(os.Environ(), "FYNE_CACHE=1s")
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("%s with FYNE_CACHE=1s: %v\n%s", name, err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(line, name) {
			continue
		}
		f := strings.Fields(line)
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil && f[i+1] != "ns/op" {
				b.ReportMetric(v, f[i+1])
			}
		}
		return
	}
	b.Fatalf("%s printed no result:\n%s", name, out)
}

func liveHeap() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
