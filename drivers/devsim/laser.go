package devsim

import (
	"errors"
	"fmt"
	"strings"
)

// laser scripts the emulated laser printer. Loading paper and repairing
// also restart the queue (cupsenable), which a job that met a fault
// stopped, as a technician would.
func (d *Devices) laser(cmd string) (string, error) {
	if d.Laser == nil {
		if d.LaserErr != nil {
			return "", fmt.Errorf("devsim: no emulated laser printer: %w", d.LaserErr)
		}
		return "", errors.New("devsim: no emulated laser printer (start guichet-devsim with -laser QUEUE)")
	}
	verb, arg, _ := strings.Cut(strings.TrimSpace(cmd), " ")
	arg = strings.TrimSpace(arg)
	if verb != "break" && arg != "" {
		return "", fmt.Errorf("devsim: laser %s takes no argument", verb)
	}
	f := d.Laser
	switch verb {
	case "paper-out":
		return "laser printer out of paper (the next job stops its queue)", f.SetPaper(false)
	case "paper-in":
		if err := f.SetPaper(true); err != nil {
			return "", err
		}
		return "paper loaded; queue " + f.Name + " restarted", f.Enable()
	case "toner-low":
		return "toner low (reported with the next job)", f.SetTonerLow(true)
	case "toner-ok":
		return "toner replaced (reported with the next job)", f.SetTonerLow(false)
	case "break":
		if arg == "" {
			return "", errors.New("devsim: laser break MESSAGE (what every job fails with, e.g. Fuser failure)")
		}
		return "laser printer broken: every job fails with " + arg, f.Break(arg)
	case "fix":
		if err := f.Break(""); err != nil {
			return "", err
		}
		return "laser printer repaired; queue " + f.Name + " restarted", f.Enable()
	case "list":
		files, err := f.PDFs()
		if err != nil {
			return "", err
		}
		if len(files) == 0 {
			return "no PDF printed yet (they land in " + f.Out() + ")", nil
		}
		return strings.Join(files, "\n"), nil
	case "status":
		return d.laserStatus()
	case "":
		return "", errors.New("devsim: laser what? (paper-out, paper-in, toner-low, toner-ok, break MESSAGE, fix, list, status)")
	}
	return "", fmt.Errorf("devsim: unknown laser command %q (try help)", verb)
}

func (d *Devices) laserStatus() (string, error) {
	f := d.Laser
	st, err := f.State()
	if err != nil {
		return "", err
	}
	files, err := f.PDFs()
	if err != nil {
		return "", err
	}
	paper, toner, broken := "loaded", "ok", "no"
	if !st.Paper {
		paper = "out"
	}
	if st.TonerLow {
		toner = "low"
	}
	if st.Broken != "" {
		broken = st.Broken
	}
	return fmt.Sprintf("queue %s on ipp://%s/printers/%s\npaper: %s\ntoner: %s\nbroken: %s\nPDFs: %d in %s",
		f.Name, d.CUPS.Addr(), f.Name, paper, toner, broken, len(files), f.Out()), nil
}
