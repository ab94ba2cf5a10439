package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"guichet/kiosk/flow"
)

func init() {
	commands["pin-hash"] = command{runPINHash, "hash a technician PIN read on standard input (for -technician-pin-hash or the console's settings)"}
}

// runPINHash implements `guichetctl pin-hash`: it reads a PIN of 4 to 12
// digits on one line of standard input and prints its salted PBKDF2 hash,
// which the kiosk takes with -technician-pin-hash or from the settings
// operations push. The PIN itself is never stored.
func runPINHash(ctx context.Context, c *cli, args []string) error {
	if len(args) != 0 {
		return &exitError{code: 2, err: errors.New("usage: echo PIN | guichetctl pin-hash")}
	}
	line, err := bufio.NewReader(c.stdin).ReadString('\n')
	if err != nil && line == "" {
		return &exitError{code: 2, err: errors.New("no PIN on standard input")}
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return err
	}
	h, err := flow.HashPIN(strings.TrimSpace(line), salt)
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	fmt.Fprintln(c.stdout, h)
	return nil
}
