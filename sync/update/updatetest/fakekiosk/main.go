// Command fakekiosk stands in for the kiosk in the updater's tests: run by
// `guichet-updater launch`, it appends "<release> <behaviour> <paths…>" to
// $FAKEKIOSK_LOG (with the paths guichet-updater launch gave it) and behaves as the file "behaviour" beside it says:
// healthy (the default) writes a passing health report to
// $GUICHET_HEALTH_FILE; peripherals-fail writes a failing one; crash exits
// at once with status 3; hang sleeps without reporting.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	behaviour := "healthy"
	if exe, err := os.Executable(); err == nil {
		if b, err := os.ReadFile(filepath.Join(filepath.Dir(exe), "behaviour")); err == nil {
			behaviour = strings.TrimSpace(string(b))
		}
	}
	release := os.Getenv("GUICHET_RELEASE")
	if log := os.Getenv("FAKEKIOSK_LOG"); log != "" {
		f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err == nil {
			fmt.Fprintf(f, "%s %s %s %s %s %s\n", release, behaviour, os.Getenv("GUICHET_HEALTH_FILE"),
				os.Getenv("GUICHET_SESSION_FILE"), os.Getenv("GUICHET_ANNOUNCE_FILE"), os.Getenv("GUICHET_UPDATE_STATUS"))
			f.Sync()
			f.Close()
		}
	}
	switch behaviour {
	case "crash":
		os.Exit(3)
	case "hang":
		time.Sleep(10 * time.Second)
		return
	}
	ok := behaviour != "peripherals-fail"
	report := map[string]any{
		"version": release, "pid": os.Getpid(), "written_at": time.Now().UTC(),
		"home_screen_rendered": true, "peripherals_answered": ok, "store_opened": true,
		"registry_reached_or_queue_intact": true,
	}
	if !ok {
		report["detail"] = "receipt printer did not answer its status request"
	}
	path := os.Getenv("GUICHET_HEALTH_FILE")
	if path == "" {
		return
	}
	b, _ := json.Marshal(report)
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fakekiosk:", err)
		os.Exit(1)
	}
	f.Write(b)
	f.Sync()
	f.Close()
	if err := os.Rename(tmp, path); err != nil {
		fmt.Fprintln(os.Stderr, "fakekiosk:", err)
		os.Exit(1)
	}
}
