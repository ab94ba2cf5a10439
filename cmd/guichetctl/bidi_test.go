package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBidiCommand(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{
			name: "auto, one direction per line",
			stdin: "رقم التتبع 2024-00123\n" +
				"رقم التتبع \u20662024-00123\u2069\r\n" +
				"Casier judiciaire (السجل العدلي)\n" +
				"\n" +
				"السجل العدلي (البطاقة رقم 3)", // no final newline
			wantStdout: "00123-2024 عبتتلا مقر\n" +
				"2024-00123 عبتتلا مقر\n" +
				"Casier judiciaire (يلدعلا لجسلا)\n" +
				"\n" +
				"(3 مقر ةقاطبلا) يلدعلا لجسلا\n",
		},
		{name: "right to left", args: []string{"--rtl"}, stdin: "Reçu 12 !\n", wantStdout: "! Reçu 12\n"},
		{name: "left to right", args: []string{"--ltr"}, stdin: "مرحبا (1)!\n", wantStdout: "(1) ابحرم!\n"},
		{name: "format characters removed", args: []string{"--ltr"}, stdin: "a\u200B\u202Bb\u202C\u200Ec\n", wantStdout: "abc\n"},
		{name: "empty input", stdin: ""},
		{name: "both directions", args: []string{"--rtl", "--ltr"}, wantCode: 2, wantStderr: "exclude each other"},
		{name: "unknown flag", args: []string{"--auto"}, wantCode: 2, wantStderr: "flag provided but not defined"},
		{name: "argument", args: []string{"text"}, wantCode: 2, wantStderr: "read from standard input"},
		{
			name:       "line too long",
			stdin:      "ok\n" + strings.Repeat("a", maxBidiLine+1) + "\n",
			wantCode:   1,
			wantStdout: "ok\n",
			wantStderr: "line 2: reading standard input: a line is longer than 1048576 bytes",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			c := &cli{stdin: strings.NewReader(tc.stdin), stdout: &stdout, stderr: &stderr}
			code := run(context.Background(), c, append([]string{"bidi"}, tc.args...))
			if code != tc.wantCode {
				t.Errorf("guichetctl bidi %q exit status = %d, want %d (stderr %q)", tc.args, code, tc.wantCode, stderr.String())
			}
			if diff := cmp.Diff(tc.wantStdout, stdout.String()); diff != "" {
				t.Errorf("guichetctl bidi %q stdout mismatch (-want +got):\n%s", tc.args, diff)
			}
			if !strings.Contains(stderr.String(), tc.wantStderr) || tc.wantStderr == "" && stderr.Len() > 0 {
				t.Errorf("guichetctl bidi %q stderr = %q, want it to contain %q", tc.args, stderr.String(), tc.wantStderr)
			}
		})
	}
}

// TestBidiCommandInterrupted checks that each line typed is printed at once
// and that an interrupt ends the command while it waits for the next one.
func TestBidiCommandInterrupted(t *testing.T) {
	in, typing := io.Pipe()
	defer typing.Close()
	screen, out := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		code := run(ctx, &cli{stdin: in, stdout: out, stderr: &stderr}, []string{"bidi"})
		out.Close()
		done <- code
	}()
	if _, err := io.WriteString(typing, "ب 12\n"); err != nil {
		t.Fatal(err)
	}
	got, err := bufio.NewReader(screen).ReadString('\n')
	if err != nil {
		t.Fatalf("reading guichetctl bidi output: %v", err)
	}
	if want := "12 ب\n"; got != want {
		t.Errorf("guichetctl bidi printed %q, want %q", got, want)
	}
	cancel()
	select {
	case code := <-done:
		if code != 1 {
			t.Errorf("guichetctl bidi interrupted exit status = %d, want 1", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("guichetctl bidi did not stop when interrupted")
	}
	if !strings.Contains(stderr.String(), "context canceled") {
		t.Errorf("guichetctl bidi interrupted stderr = %q, want it to say context canceled", stderr.String())
	}
}
