package drivers_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"testing"

	"guichet/drivers"
)

type netTimeout struct{ timeout bool }

func (e netTimeout) Error() string { return "i/o timeout" }
func (e netTimeout) Timeout() bool { return e.timeout }

func TestIsTimeout(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"deadline", os.ErrDeadlineExceeded, true},
		{"wrapped deadline", fmt.Errorf("serialport: read: %w", os.ErrDeadlineExceeded), true},
		{"net timeout", netTimeout{true}, true},
		{"net non-timeout", netTimeout{false}, false},
		{"eof is not a timeout", io.EOF, false},
		{"other", errors.New("boom"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := drivers.IsTimeout(tc.err); got != tc.want {
				t.Errorf("IsTimeout(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
