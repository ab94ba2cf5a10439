package idscan_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"guichet/drivers/idscan"
	"guichet/drivers/idscan/idscansim"
	"guichet/drivers/serialport"
)

func ExampleAssembler() {
	a := idscan.NewAssembler(idscan.Framing{}, 300*time.Millisecond)
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

	// Power-up garbage, then a TD1 card.
	a.Feed([]byte("\x00\xffREADY\r\n"), t0)
	for _, c := range a.Feed([]byte("I<UTOD231458907<<<<<<<<<<<<<<<\r7408122F1204159UTO<<<<<<<<<<<6\rERIKSSON<<ANNA<MARIA<<<<<<<<<<\r"), t0.Add(2*time.Second)) {
		fmt.Println(c.Lines)
	}
	// A card pulled away mid-read: given up after the timeout.
	a.Feed([]byte("I<UTOD2314589"), t0.Add(5*time.Second))
	for _, c := range a.Expire(t0.Add(6 * time.Second)) {
		fmt.Println("partial:", c.Partial)
	}
	fmt.Printf("%+v\n", a.Stats())
	// Output:
	// [I<UTOD231458907<<<<<<<<<<<<<<< 7408122F1204159UTO<<<<<<<<<<<6 ERIKSSON<<ANNA<MARIA<<<<<<<<<<]
	// partial: true
	// {Candidates:1 Partials:1 NoiseBytes:7}
}

func ExampleReader() {
	dir, _ := os.MkdirTemp("", "guichet")
	defer os.RemoveAll(dir)
	today := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

	// The emulated reader at dir/idscan, as udev's /dev/guichet/idscan.
	sim, err := idscansim.New(dir, idscansim.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sim.Close()
	port, err := serialport.Open(serialport.Config{Path: sim.Path(), Baud: 9600})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer port.Close()

	events := make(chan idscan.Event, 1)
	r := idscan.New(port, idscan.DefaultConfig(),
		idscan.WithEvents(func(e idscan.Event) { events <- e }),
		idscan.WithClock(func() time.Time { return today }))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)

	for _, name := range []string{"cnie", "cnie-expired"} {
		card, _ := idscansim.Sample(name, today)
		sim.Insert(ctx, card.Lines)
		switch e := (<-events).(type) {
		case idscan.CardRead:
			fmt.Println("read:", e.MRZ.Surname, e.MRZ.GivenNames)
		case idscan.ReadFailed:
			fmt.Println(e.Reason+":", e.Reason.Message("fr"))
		}
	}
	// Output:
	// read: EL ALAOUI [FATIMA ZAHRA]
	// expired: Cette carte est expirée. Veuillez utiliser une carte d'identité en cours de validité.
}
