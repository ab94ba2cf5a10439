package update_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"guichet/sync/update"
	"guichet/sync/update/updatetest"
)

// benchUpdate measures one update of a simulated kiosk, from the check
// that finds the announced release to the commit: the refresh of the
// signed metadata, the download over HTTP (cut every cutEvery bytes when
// set), staging, activation, probation with a kiosk that reports at once.
func benchUpdate(b *testing.B, size int, cutEvery int64) {
	repo := updatetest.NewRepo(b, time.Now())
	bin := make([]byte, size)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range bin {
		bin[i] = byte(r.Uint32())
	}
	repo.Publish("1.1.0", "", map[string][]byte{"guichet": bin, "printer.json": []byte(`{"profile":"80mm"}`)},
		func(s *update.ReleaseSpec) { s.ActivateBy = time.Now().Add(-time.Hour) })
	srv := updatetest.NewServer(b, repo.Dir)
	srv.SetFaults(updatetest.Faults{CutAfter: cutEvery})
	root := repo.Root()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		data := b.TempDir()
		u, err := update.Open(update.Config{DataDir: data, FactoryVersion: update.Version{Major: 1}, Source: update.HTTPSource{BaseURL: srv.URL},
			Restart: updatetest.HealthyKiosk(data), RetryAfter: time.Millisecond, MaxAttempts: 1000, Probation: 10 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		if err := u.Pin(root); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := u.Run(context.Background(), true); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if s, _ := u.Status(); s.Committed != "1.1.0" {
			b.Fatalf("not committed: %+v", s)
		}
		u.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(srv.Sent())/float64(b.N), "target-bytes/update")
	b.ReportMetric(float64(srv.SentMetadata())/float64(b.N), "metadata-bytes/update")
	b.ReportMetric(float64(size), "release-bytes")
}

func BenchmarkUpdate8MiB(b *testing.B)             { benchUpdate(b, 8<<20, 0) }
func BenchmarkUpdate8MiBCutEvery1MiB(b *testing.B) { benchUpdate(b, 8<<20, 1<<20) }
