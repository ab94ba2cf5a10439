package gpiosim

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

// Listen takes commands for the board on a unix socket at path until ctx
// is done: one command line per connection, answered with Exec's output
// or "error: …" and the connection closed. It is the socket that
// guichet-devsim's gpio commands reach (devsim.Config.GPIOSim), served by
// whichever process owns the board: the kiosk (guichet -gpio-sim) or
// guichetctl provision. A stale socket file at path is replaced.
func (b *Board) Listen(ctx context.Context, path string) error {
	os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("gpiosim: command socket: %w", err)
	}
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go b.answer(c)
		}
	}()
	return nil
}

func (b *Board) answer(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	line, _ := bufio.NewReader(c).ReadString('\n')
	out, err := b.Exec(strings.TrimSpace(line))
	if err != nil {
		fmt.Fprintf(c, "error: %v\n", err)
		return
	}
	fmt.Fprintln(c, out)
}
