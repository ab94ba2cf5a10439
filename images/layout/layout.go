package layout

import (
	"errors"
	"fmt"
	"strings"
)

// DiskSignature is the MBR disk identifier ("GCH1"). With it every
// partition's PARTUUID is fixed: DiskSignature in hex, a dash, the
// partition's number in two hex digits.
const DiskSignature uint32 = 0x47434831

// MiB is a mebibyte; every partition starts and ends on one.
const MiB = 1 << 20

// Slot is a root file system's RAUC bootname: A or B.
type Slot string

// The two roots.
const (
	SlotA Slot = "A"
	SlotB Slot = "B"
)

// Slots lists both roots in order.
var Slots = []Slot{SlotA, SlotB}

// Partition is one entry of the partition table.
type Partition struct {
	Number     int    // MBR partition number, 1–4
	Name       string // RAUC slot name ("rootfs.0") or role ("boot", "data")
	Label      string // file-system label
	Type       byte   // MBR partition type: 0x0c FAT32 (LBA), 0x83 Linux
	FS         string // file system: vfat or ext4
	Start      uint64 // first byte
	Size       uint64 // bytes; 0 for the data partition of an image means DataSize
	MountPoint string // where the running system mounts it ("" for roots and boot)
}

// The partitions. Roots are 2 GiB each: the factory root uses about a
// third of it, which leaves room for later releases of Debian.
var (
	Boot  = Partition{Number: 1, Name: "boot", Label: "GUICHETBOOT", Type: 0x0c, FS: "vfat", Start: 1 * MiB, Size: 256 * MiB}
	RootA = Partition{Number: 2, Name: "rootfs.0", Label: "GUICHET_ROOT_A", Type: 0x83, FS: "ext4", Start: 257 * MiB, Size: 2048 * MiB}
	RootB = Partition{Number: 3, Name: "rootfs.1", Label: "GUICHET_ROOT_B", Type: 0x83, FS: "ext4", Start: 2305 * MiB, Size: 2048 * MiB}
	Data  = Partition{Number: 4, Name: "data", Label: "GUICHET_DATA", Type: 0x83, FS: "ext4", Start: 4353 * MiB, Size: DataSize, MountPoint: DataDir}
)

// DataSize is the data partition's size in the image. It is the last
// partition, so a larger card only leaves space after it.
const DataSize = 1024 * MiB

// DataDir is where the data partition is mounted, and the kiosk's -data.
const DataDir = "/var/lib/guichet"

// ImageSize is the size of the image file: every partition and the MBR.
const ImageSize = 4353*MiB + DataSize

// Partitions lists the table in order.
func Partitions() []Partition { return []Partition{Boot, RootA, RootB, Data} }

// PartUUID is the partition's stable identifier, as the kernel's
// root=PARTUUID= and /dev/disk/by-partuuid/ spell it.
func (p Partition) PartUUID() string { return fmt.Sprintf("%08x-%02x", DiskSignature, p.Number) }

// Device is the partition's stable device path on the running system.
func (p Partition) Device() string { return "/dev/disk/by-partuuid/" + p.PartUUID() }

// Root is the partition holding a slot's root file system.
func Root(s Slot) (Partition, error) {
	switch s {
	case SlotA:
		return RootA, nil
	case SlotB:
		return RootB, nil
	}
	return Partition{}, fmt.Errorf("layout: no root slot %q (want A or B)", string(s))
}

// Other is the root that is not s: where an update goes.
func (s Slot) Other() Slot {
	if s == SlotA {
		return SlotB
	}
	return SlotA
}

// BootDir is the slot's directory on the boot partition (the firmware's
// os_prefix, without its slash): its kernel, initrd, device trees and
// cmdline.txt.
func (s Slot) BootDir() string { return strings.ToLower(string(s)) }

// Cmdline is the kernel command line of a slot: its root by PARTUUID,
// mounted read-only, and rauc.slot= so that RAUC knows which slot booted.
func Cmdline(s Slot, console string) (string, error) {
	root, err := Root(s)
	if err != nil {
		return "", err
	}
	parts := []string{}
	if console != "" {
		parts = append(parts, "console="+console)
	}
	parts = append(parts, "root=PARTUUID="+root.PartUUID(), "rootfstype=ext4", "ro", "rootwait", "rauc.slot="+string(s), "quiet")
	return strings.Join(parts, " "), nil
}

// ErrNotGuichet says the running kernel was not booted from a Guichet root
// (a development machine, a rescue system).
var ErrNotGuichet = errors.New("layout: the kernel was not booted from a Guichet root (no rauc.slot= on its command line)")

// BootedSlot reads a kernel command line (/proc/cmdline) and says which
// root it booted. It checks that rauc.slot= and root=PARTUUID= agree, so a
// hand-edited cmdline.txt that would make RAUC overwrite the running root
// is refused.
func BootedSlot(cmdline string) (Slot, error) {
	var slot, root string
	var nslot, nroot int
	for _, f := range strings.Fields(cmdline) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "rauc.slot":
			slot, nslot = v, nslot+1
		case "root":
			root, nroot = v, nroot+1
		}
	}
	if nslot == 0 {
		return "", ErrNotGuichet
	}
	if nslot > 1 {
		return "", fmt.Errorf("layout: the kernel command line names rauc.slot %d times", nslot)
	}
	part, err := Root(Slot(slot))
	if err != nil {
		return "", err
	}
	if nroot != 1 || root != "PARTUUID="+part.PartUUID() {
		return "", fmt.Errorf("layout: the kernel command line says rauc.slot=%s but root=%s; slot %s is root=PARTUUID=%s", slot, root, slot, part.PartUUID())
	}
	return Slot(slot), nil
}

// SfdiskScript is the partition table as sfdisk(8) reads it on standard
// input, for an image of ImageSize bytes.
func SfdiskScript() string {
	var b strings.Builder
	fmt.Fprintf(&b, "label: dos\nlabel-id: 0x%08x\nunit: sectors\nsector-size: 512\n\n", DiskSignature)
	for _, p := range Partitions() {
		fmt.Fprintf(&b, "start=%d, size=%d, type=%x", p.Start/512, p.Size/512, p.Type)
		if p.Number == Boot.Number {
			b.WriteString(", bootable")
		}
		b.WriteString("\n")
	}
	return b.String()
}
