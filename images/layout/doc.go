// Package layout is the appliance's disk: the partition table of the image
// that images/ builds and that the on-device updater switches between, in
// one place so the two can never disagree.
//
// The disk has an MBR (DOS) partition table — the Raspberry Pi's boot ROM
// and firmware read it on every board and EEPROM version — with a fixed
// disk signature, so every partition has a stable PARTUUID
// ("47434831-0N", /dev/disk/by-partuuid/…) on every kiosk, whatever the
// kernel calls the card (mmcblk0, sda):
//
//	1  boot      FAT32  the Pi firmware, and a kernel, initrd, device trees
//	                    and cmdline.txt per root under a/ and b/
//	2  rootfs.0  ext4   root A, mounted read-only (RAUC slot, bootname A)
//	3  rootfs.1  ext4   root B, mounted read-only (RAUC slot, bootname B)
//	4  data      ext4   /var/lib/guichet, label GUICHET_DATA: the store,
//	                    keys, releases and logs; the only writable place
//	                    besides tmpfs
//
// The Pi's firmware reads config.txt, whose os_prefix names the committed
// root's directory; a trial boot (reboot "0 tryboot") reads tryboot.txt,
// which names the other one, once. A root that fails its trial is therefore
// left by the next reset, whoever causes it (the hardware watchdog, a power
// cut). BootedSlot tells which root the running kernel came from.
package layout
