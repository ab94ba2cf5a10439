// Command guichet-image prints what images/build-image.sh needs from
// images/layout and images/rootfs, so the shell script never repeats the
// partition table or the configuration:
//
//	guichet-image overlay [-keyring FILE] DIR   the files Guichet adds to the root
//	guichet-image sfdisk                        the partition table, for sfdisk
//	guichet-image partitions                    NAME NUMBER LABEL FS START SIZE, one a line
//	guichet-image boot-config SLOT              the firmware's config.txt booting SLOT
//	guichet-image cmdline SLOT [CONSOLE]        the kernel command line of SLOT
//	guichet-image size                          the image's size in bytes
//	guichet-image screenshot IN.ppm OUT.png     qemu's screendump as PNG; prints its size and colours
package main

import (
	"flag"
	"fmt"
	"image/png"
	"os"

	"guichet/images/layout"
	"guichet/images/rootfs"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "guichet-image:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: guichet-image overlay|sfdisk|partitions|boot-config|cmdline|size|screenshot …")
	}
	switch args[0] {
	case "overlay":
		fs := flag.NewFlagSet("overlay", flag.ContinueOnError)
		keyring := fs.String("keyring", "", "PEM certificate(s) RAUC bundles must be signed by")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return fmt.Errorf("usage: guichet-image overlay [-keyring FILE] DIR")
		}
		opt := rootfs.Options{}
		if *keyring != "" {
			b, err := os.ReadFile(*keyring)
			if err != nil {
				return fmt.Errorf("reading the RAUC keyring: %w", err)
			}
			opt.Keyring = b
		}
		if err := os.MkdirAll(fs.Arg(0), 0o755); err != nil {
			return err
		}
		return rootfs.Write(fs.Arg(0), opt)
	case "sfdisk":
		fmt.Print(layout.SfdiskScript())
	case "partitions":
		for _, p := range layout.Partitions() {
			fmt.Printf("%s %d %s %s %d %d\n", p.Name, p.Number, p.Label, p.FS, p.Start, p.Size)
		}
	case "boot-config":
		s, err := slot(args)
		if err != nil {
			return err
		}
		fmt.Print(rootfs.BootConfig(s))
	case "cmdline":
		s, err := slot(args)
		if err != nil {
			return err
		}
		console := ""
		if len(args) > 2 {
			console = args[2]
		}
		line, err := layout.Cmdline(s, console)
		if err != nil {
			return err
		}
		fmt.Println(line)
	case "size":
		fmt.Println(layout.ImageSize)
	case "screenshot":
		if len(args) != 3 {
			return fmt.Errorf("usage: guichet-image screenshot IN.ppm OUT.png")
		}
		return screenshot(args[1], args[2])
	default:
		return fmt.Errorf("no command %q (overlay, sfdisk, partitions, boot-config, cmdline, size, screenshot)", args[0])
	}
	return nil
}

func slot(args []string) (layout.Slot, error) {
	if len(args) < 2 {
		return "", fmt.Errorf("%s: which slot, A or B?", args[0])
	}
	s := layout.Slot(args[1])
	if _, err := layout.Root(s); err != nil {
		return "", err
	}
	return s, nil
}

// screenshot converts qemu's screendump to PNG and prints "W H COLOURS"
// (colours counted up to 256), for image-test.sh to tell a drawn screen
// from a blank one.
func screenshot(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	img, err := decodePPM(f)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	w, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := png.Encode(w, img); err != nil {
		w.Close()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	b := img.Bounds()
	fmt.Println(b.Dx(), b.Dy(), colours(img, 256))
	return nil
}
