package layout_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"guichet/images/layout"
)

func TestPartitionsTileTheImage(t *testing.T) {
	next := uint64(layout.MiB) // the MBR and the firmware's gap
	for i, p := range layout.Partitions() {
		if p.Number != i+1 {
			t.Errorf("partition %s has number %d, want %d", p.Name, p.Number, i+1)
		}
		if p.Start != next {
			t.Errorf("partition %s starts at %d, want %d (right after the previous one)", p.Name, p.Start, next)
		}
		if p.Start%layout.MiB != 0 || p.Size%layout.MiB != 0 || p.Size == 0 {
			t.Errorf("partition %s = start %d size %d, want whole MiB", p.Name, p.Start, p.Size)
		}
		next = p.Start + p.Size
	}
	if next != layout.ImageSize {
		t.Errorf("partitions end at %d, ImageSize = %d", next, layout.ImageSize)
	}
	for _, p := range layout.Partitions() {
		// mkfs.vfat takes at most 11 characters; ext4 at most 16.
		if max := map[string]int{"vfat": 11, "ext4": 16}[p.FS]; len(p.Label) == 0 || len(p.Label) > max {
			t.Errorf("partition %s: label %q, want 1 to %d characters for %s", p.Name, p.Label, max, p.FS)
		}
	}
	if layout.Data.MountPoint != layout.DataDir || layout.Data.Label != "GUICHET_DATA" {
		t.Errorf("data partition = %+v, want label GUICHET_DATA at %s", layout.Data, layout.DataDir)
	}
}

func TestPartUUID(t *testing.T) {
	for _, tc := range []struct {
		p    layout.Partition
		want string
	}{
		{layout.Boot, "47434831-01"},
		{layout.RootA, "47434831-02"},
		{layout.RootB, "47434831-03"},
		{layout.Data, "47434831-04"},
	} {
		if got := tc.p.PartUUID(); got != tc.want {
			t.Errorf("%s.PartUUID() = %s, want %s", tc.p.Name, got, tc.want)
		}
		if got, want := tc.p.Device(), "/dev/disk/by-partuuid/"+tc.want; got != want {
			t.Errorf("%s.Device() = %s, want %s", tc.p.Name, got, want)
		}
	}
}

func TestSlots(t *testing.T) {
	for _, tc := range []struct {
		s     layout.Slot
		other layout.Slot
		root  layout.Partition
		dir   string
	}{
		{layout.SlotA, layout.SlotB, layout.RootA, "a"},
		{layout.SlotB, layout.SlotA, layout.RootB, "b"},
	} {
		if got := tc.s.Other(); got != tc.other {
			t.Errorf("%s.Other() = %s, want %s", tc.s, got, tc.other)
		}
		root, err := layout.Root(tc.s)
		if err != nil || root != tc.root {
			t.Errorf("Root(%s) = %v, %v, want %s", tc.s, root.Name, err, tc.root.Name)
		}
		if got := tc.s.BootDir(); got != tc.dir {
			t.Errorf("%s.BootDir() = %s, want %s", tc.s, got, tc.dir)
		}
	}
	if _, err := layout.Root("C"); err == nil {
		t.Errorf("Root(C) = nil error, want one")
	}
}

// bootedSlotCases is shared by TestBootedSlot and FuzzBootedSlot's seeds.
var bootedSlotCases = []struct {
	cmdline string
	want    layout.Slot
	err     string // a fragment of the error; "" for none
}{
	{"console=ttyAMA0 root=PARTUUID=47434831-02 rootfstype=ext4 ro rootwait rauc.slot=A quiet", layout.SlotA, ""},
	{"root=PARTUUID=47434831-03 rauc.slot=B\n", layout.SlotB, ""},
	{"BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet", "", "not booted from a Guichet root"},
	{"", "", "not booted from a Guichet root"},
	{"root=PARTUUID=47434831-02 rauc.slot=B", "", "slot B is root=PARTUUID=47434831-03"},
	{"root=PARTUUID=47434831-02 rauc.slot=A rauc.slot=B", "", "2 times"},
	{"root=PARTUUID=47434831-04 rauc.slot=C", "", "no root slot \"C\""},
	{"rauc.slot=A", "", "but root="},
	{"root=PARTUUID=47434831-02 root=PARTUUID=47434831-02 rauc.slot=A", "", "but root="},
}

func TestBootedSlot(t *testing.T) {
	for _, tc := range bootedSlotCases {
		got, err := layout.BootedSlot(tc.cmdline)
		if tc.err == "" {
			if err != nil || got != tc.want {
				t.Errorf("BootedSlot(%q) = %q, %v, want %q", tc.cmdline, got, err, tc.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("BootedSlot(%q) = %q, %v, want an error with %q", tc.cmdline, got, err, tc.err)
		}
	}
	if _, err := layout.BootedSlot("quiet"); !errors.Is(err, layout.ErrNotGuichet) {
		t.Errorf("BootedSlot(quiet) = %v, want ErrNotGuichet", err)
	}
}

// TestCmdlineRoundTrip: what the image writes into a slot's cmdline.txt is
// what BootedSlot reads back.
func TestCmdlineRoundTrip(t *testing.T) {
	for _, s := range layout.Slots {
		line, err := layout.Cmdline(s, "ttyAMA0,115200")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := layout.BootedSlot(line); err != nil || got != s {
			t.Errorf("BootedSlot(Cmdline(%s)) = %q, %v", s, got, err)
		}
		if !strings.Contains(" "+line+" ", " ro ") {
			t.Errorf("Cmdline(%s) = %q, want the root mounted read-only", s, line)
		}
	}
}

func FuzzBootedSlot(f *testing.F) {
	for _, tc := range bootedSlotCases {
		f.Add(tc.cmdline)
	}
	f.Fuzz(func(t *testing.T, cmdline string) {
		s, err := layout.BootedSlot(cmdline)
		if err != nil {
			if s != "" {
				t.Fatalf("BootedSlot(%q) = %q with error %v", cmdline, s, err)
			}
			return
		}
		root, err := layout.Root(s)
		if err != nil {
			t.Fatalf("BootedSlot(%q) = %q, not a slot: %v", cmdline, s, err)
		}
		if !strings.Contains(cmdline, "root=PARTUUID="+root.PartUUID()) {
			t.Fatalf("BootedSlot(%q) = %q but the line lacks its root", cmdline, s)
		}
	})
}

// TestSfdiskScript writes the table with the real sfdisk into a sparse
// file of ImageSize bytes and reads it back.
func TestSfdiskScript(t *testing.T) {
	sfdisk, err := exec.LookPath("sfdisk")
	if err != nil {
		for _, p := range []string{"/usr/sbin/sfdisk", "/sbin/sfdisk"} {
			if _, err2 := os.Stat(p); err2 == nil {
				sfdisk, err = p, nil
			}
		}
	}
	if err != nil {
		t.Fatalf("sfdisk not found (Debian package fdisk, in images/host-packages.txt): %v", err)
	}
	img := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(layout.ImageSize); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cmd := exec.Command(sfdisk, "--no-reread", "--no-tell-kernel", img)
	cmd.Stdin = strings.NewReader(layout.SfdiskScript())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sfdisk refused layout.SfdiskScript(): %v\n%s\n%s", err, out, layout.SfdiskScript())
	}
	out, err := exec.Command(sfdisk, "--json", img).Output()
	if err != nil {
		t.Fatalf("sfdisk --json: %v", err)
	}
	var table struct {
		PartitionTable struct {
			Label      string `json:"label"`
			ID         string `json:"id"`
			Partitions []struct {
				Start    uint64 `json:"start"`
				Size     uint64 `json:"size"`
				Type     string `json:"type"`
				Bootable bool   `json:"bootable"`
			} `json:"partitions"`
		} `json:"partitiontable"`
	}
	if err := json.Unmarshal(out, &table); err != nil {
		t.Fatalf("sfdisk --json: %v\n%s", err, out)
	}
	type part struct {
		Start, Size uint64
		Type        string
		Bootable    bool
	}
	var got, want []part
	for _, p := range table.PartitionTable.Partitions {
		got = append(got, part{p.Start * 512, p.Size * 512, p.Type, p.Bootable})
	}
	for _, p := range layout.Partitions() {
		want = append(want, part{p.Start, p.Size, fmt.Sprintf("%x", p.Type), p == layout.Boot})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the table sfdisk wrote (-want +got):\n%s", diff)
	}
	if table.PartitionTable.Label != "dos" || table.PartitionTable.ID != "0x47434831" {
		t.Errorf("table = %s %s, want dos 0x47434831", table.PartitionTable.Label, table.PartitionTable.ID)
	}
}
