// Command guichet-devsim runs the kiosk's emulated peripherals on
// pseudo-terminals (see guichet/drivers/devsim) and, with -laser, the laser
// printer as a private CUPS server; it writes their paths to DIR/devices.env,
// and takes commands on standard input and on a unix socket.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"guichet/drivers/devsim"
)

func main() {
	dir := flag.String("dir", "out/devices", "directory for the devices' stable paths and the command socket")
	sock := flag.String("socket", "", "command socket (default DIR/devsim.sock)")
	gpioSock := flag.String("gpio-sim", "", "the kiosk's emulated-GPIO socket, for gpio commands")
	baud := flag.Int("id-baud", 9600, "pace the ID-card reader like a serial line at this rate (0: no pacing)")
	laser := flag.String("laser", "", "emulate the laser printer as this queue of a private CUPS server (needs root, cups and printer-driver-cups-pdf); its PDFs land in DIR/laser")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, devsim.Config{Dir: *dir, IDBaud: *baud, GPIOSim: *gpioSock, Laser: *laser}, *sock, log); err != nil {
		log.Error("guichet-devsim stopped", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg devsim.Config, sock string, log *slog.Logger) error {
	dir := cfg.Dir
	d, err := devsim.Start(cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	switch {
	case d.Laser != nil:
		log.Info("laser printer up", "queue", d.Laser.Name, "cups", d.CUPS.Addr(), "pdfs", d.Laser.Out())
	case d.LaserErr != nil:
		log.Warn("starting WITHOUT the laser printer: the kiosk will not offer extract collection", "why", d.LaserErr)
	}
	if sock == "" {
		sock = devsim.SocketPath(dir)
	}
	paths, _ := d.Exec(ctx, "paths")
	// The kiosk (and make run) read the paths from this file.
	if err := os.WriteFile(filepath.Join(dir, "devices.env"), []byte(paths+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Println(paths)
	fmt.Printf("commands on standard input or %s; type help\n", sock)
	log.Info("devices up", "dir", dir, "socket", sock)

	errc := make(chan error, 2)
	go func() { errc <- d.ListenCommands(ctx, sock) }()
	go func() {
		d.Serve(ctx, os.Stdin, os.Stdout)
		// Standard input closed (make run starts devsim in the
		// background): keep serving the socket until stopped.
		<-ctx.Done()
		errc <- nil
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return nil
	}
}
