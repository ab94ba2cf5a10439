package speech

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeEspeak writes a script that records its arguments and input, then
// sleeps as long as the sentence asks ("sleep" in it: 5 s).
func fakeEspeak(t *testing.T) (path, record string) {
	t.Helper()
	dir := t.TempDir()
	record = filepath.Join(dir, "said")
	path = filepath.Join(dir, "espeak-ng")
	script := "#!/bin/sh\ntext=$(cat)\nprintf '%s|%s\\n' \"$*\" \"$text\" >> " + record + "\ncase \"$text\" in *sleep*) sleep 5;; esac\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, record
}

func waitFor(t *testing.T, record, want string) string {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(record)
		if strings.Contains(string(b), want) {
			return string(b)
		}
	}
	b, _ := os.ReadFile(record)
	t.Fatalf("espeak-ng was not asked %q; it was asked:\n%s", want, b)
	return ""
}

func TestSayInArabicAndFrench(t *testing.T) {
	path, record := fakeEspeak(t)
	e := NewEspeak(path, nil)
	e.Say("ar", "حماية معطياتكم الشخصية")
	waitFor(t, record, "-v ar -s 140 --stdin|حماية معطياتكم الشخصية")
	e.Say("fr", "Protection de vos données")
	waitFor(t, record, "-v fr -s 140 --stdin|Protection de vos données")
	e.Say("zgh", "ⴰⵏⵙⵓⴼ") // no voice: dropped
	e.Say("en", "Welcome")
	out := waitFor(t, record, "|Welcome")
	if strings.Contains(out, "ⴰⵏⵙⵓⴼ") {
		t.Errorf("a Tamazight sentence reached espeak-ng:\n%s", out)
	}
}

func TestStopSilences(t *testing.T) {
	path, record := fakeEspeak(t)
	e := NewEspeak(path, nil)
	e.Say("fr", "sleep long sentence")
	waitFor(t, record, "sleep long sentence")
	start := time.Now()
	e.Stop()
	e.Say("fr", "after stop")
	waitFor(t, record, "after stop")
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the next sentence waited %v: Stop did not end the one being spoken", d)
	}
}

func TestWithoutEspeakTheKioskIsSilentAndSaysSo(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	var log bytes.Buffer
	s := New(slog.New(slog.NewTextHandler(&log, nil)))
	if _, ok := s.(Silent); !ok {
		t.Fatalf("New without espeak-ng = %T, want Silent", s)
	}
	s.Say("ar", "مرحبا")
	s.Stop()
	if !strings.Contains(log.String(), "espeak-ng not installed") {
		t.Errorf("log %q does not say speech is off", log.String())
	}
}

func TestNewFindsEspeak(t *testing.T) {
	path, _ := fakeEspeak(t)
	t.Setenv("PATH", filepath.Dir(path))
	if s := New(nil); s == nil {
		t.Fatal("New = nil")
	} else if _, ok := s.(*Espeak); !ok {
		t.Errorf("New with espeak-ng on PATH = %T, want *Espeak", s)
	}
}
