package idscansim_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"guichet/drivers/idscan"
	"guichet/drivers/idscan/idscansim"
)

func Example() {
	dir, _ := os.MkdirTemp("", "devsim")
	defer os.RemoveAll(dir)

	// A reader at 9600 baud sending CR LF, as guichet-devsim starts it.
	sim, err := idscansim.New(dir, idscansim.Options{Baud: 9600, Framing: idscan.Framing{Terminator: idscan.TermCRLF}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sim.Close()
	fmt.Println("stable path:", filepath.Base(sim.Path()))

	for _, c := range idscansim.SampleCards(time.Now()) {
		fmt.Printf("%-15s %s\n", c.Name, c.About)
	}
	ctx := context.Background()
	card, _ := idscansim.Sample("cnie", time.Now())
	sim.Insert(ctx, card.Lines) // nobody reads: the pty keeps the bytes
	sim.Unplug()
	fmt.Println("insert while unplugged:", sim.Insert(ctx, card.Lines))
	sim.Replug()
	fmt.Println("plugged:", sim.Plugged())
	// Output:
	// stable path: idscan
	// cnie            valid Moroccan CNIE (TD1)
	// cnie-expired    Moroccan CNIE that expired two years ago
	// cnie-bad-check  Moroccan CNIE whose document number check digit is wrong
	// passport        valid Moroccan passport (TD3)
	// visa            valid visa (MRV-A), not an identity document
	// insert while unplugged: idscansim: reader unplugged
	// plugged: true
}
