package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"guichet/kiosk/flow"
)

func TestPINHash(t *testing.T) {
	var out, errb bytes.Buffer
	c := &cli{stdin: strings.NewReader("482915\n"), stdout: &out, stderr: &errb}
	if code := run(context.Background(), c, []string{"pin-hash"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	h := strings.TrimSpace(out.String())
	if ok, err := flow.VerifyPIN(h, "482915"); !ok || err != nil {
		t.Errorf("VerifyPIN(%q, right PIN) = %v, %v", h, ok, err)
	}
	if ok, _ := flow.VerifyPIN(h, "482916"); ok {
		t.Error("another PIN verifies")
	}
	errb.Reset()
	c = &cli{stdin: strings.NewReader("12ab\n"), stdout: &out, stderr: &errb}
	if code := run(context.Background(), c, []string{"pin-hash"}); code != 1 || !strings.Contains(errb.String(), "4 to 12 digits") {
		t.Errorf("a PIN with letters: exit %d, %s", code, errb.String())
	}
}
