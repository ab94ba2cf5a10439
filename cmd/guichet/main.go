// Command guichet is the kiosk: it loads the country pack, opens the durable
// store and shows the touchscreen application.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"guichet/kiosk/pack"
	"guichet/ui"
)

type config struct {
	pack       string
	data       string
	fullscreen bool
	dev        bool
}

func main() {
	var cfg config
	flag.StringVar(&cfg.pack, "pack", "ma", "country pack: "+fmt.Sprint(pack.EmbeddedCodes()))
	flag.StringVar(&cfg.data, "data", "/var/lib/guichet", "directory of the kiosk's store and keys")
	flag.BoolVar(&cfg.fullscreen, "fullscreen", false, "cover the whole screen (the appliance does)")
	flag.BoolVar(&cfg.dev, "dev", false, "development mode: a local registry key is generated under -data when none is provisioned")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
		log.Error("guichet stopped", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config, log *slog.Logger) error {
	p, err := pack.Embedded(cfg.pack)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.data, 0o700); err != nil {
		return fmt.Errorf("guichet: data directory: %w", err)
	}
	st, err := openStore(cfg, p, log)
	if err != nil {
		return err
	}
	defer st.Close()

	a := app.NewWithID("ma.gov.justice.guichet")
	a.Settings().SetTheme(ui.Theme())
	w := a.NewWindow("Guichet")
	k := ui.New(p)
	w.SetContent(k.Content())
	w.Resize(fyne.NewSize(1280, 800))
	w.SetFullScreen(cfg.fullscreen)
	w.SetMaster()

	a.Lifecycle().SetOnStarted(func() {
		log.Info("home screen is up", "pack", p.Code, "pack_version", p.Version, "languages", len(p.Languages), "services", len(p.Services))
	})
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	w.ShowAndRun()
	return nil
}
