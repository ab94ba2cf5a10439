#!/usr/bin/env bash
# `make image-test`: boots the appliance image in an emulated arm64 machine
# (qemu-system-aarch64 "virt", software emulation) with the image's own
# kernel and initrd from root A's directory on its boot partition (the Pi
# firmware does not run under qemu), and shows that systemd reaches
# guichet.service and that the kiosk logs "home screen is up". The disk is
# opened with snapshot=on: the image is not changed. Also checks the units
# of the real root with systemd-analyze.
#   IMAGE_TEST_TIMEOUT  seconds to wait for the home screen (default 900)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${IMAGE_OUT:-$PWD/out/image}
img=$out/guichet-rpi-arm64.img
[ -f "$img" ] || { echo "images: $img is missing: run make image first" >&2; exit 1; }
timeout=${IMAGE_TEST_TIMEOUT:-900}
work=$out/test
rm -rf "$work"
mkdir -p "$work"

gi() { go run ./images/cmd/guichet-image "$@"; }
boot_start=$(gi partitions | awk '$1 == "boot" {print $5}')
for f in vmlinuz initrd.img; do
  mcopy -n -i "$img@@$boot_start" "::a/$f" "$work/$f"
done

# The units as the image has them, checked in its own root.
if [ -d "$out/work/root" ]; then
  for u in guichet.service guichet-updater.service; do
    systemd-analyze verify --root="$out/work/root" "etc/systemd/system/$u"
    systemd-analyze security --offline=true --root="$out/work/root" --threshold=20 "etc/systemd/system/$u" | tail -n 1
  done
fi

# A factory kiosk refuses to start before it is enrolled (no kiosk-id,
# no registry.pub). The test boots a sparse copy of the image whose root A
# has one drop-in more, written with debugfs: the kiosk in development mode
# (-dev: a local identity and registry key) with its store under
# /var/lib/guichet/kiosk, and cage drawing with pixman: qemu's virtio-gpu
# has no 3D, and cage's GLES renderer on Mesa's kms_swrast crashes
# (SIGSEGV). Nothing else differs from the image.
test_img=$work/test.img
cp --sparse=always "$img" "$test_img"
root_start=$(gi partitions | awk '$1 == "rootfs.0" {print $5}')
cat >"$work/test.conf" <<'CONF'
[Service]
Environment=WLR_RENDERER=pixman WLR_NO_HARDWARE_CURSORS=1
ExecStart=
ExecStart=/usr/bin/cage -- /usr/lib/guichet/bin/guichet-updater launch -- -data /var/lib/guichet/kiosk -dev -fullscreen
CONF
debugfs -w -R "mkdir /etc/systemd/system/guichet.service.d" "$test_img?offset=$root_start" >/dev/null 2>&1
debugfs -w -R "write $work/test.conf /etc/systemd/system/guichet.service.d/image-test.conf" "$test_img?offset=$root_start" >/dev/null
debugfs -R "cat /etc/systemd/system/guichet.service.d/image-test.conf" "$test_img?offset=$root_start" 2>/dev/null | grep -q -- '-dev' ||
  { echo "images: could not write the test drop-in into root A of $test_img" >&2; exit 1; }
img=$test_img
# The card is larger than the image, as every real one is: the initrd must
# grow the data partition into the rest at this first start.
grow=${IMAGE_TEST_GROW_MIB:-1024}
truncate -s "+${grow}M" "$test_img"

# loglevel=6 after the image's "quiet": the initrd's notices reach the console.
cmdline="$(gi cmdline A ttyAMA0) loglevel=6 systemd.journald.forward_to_console=1 systemd.log_target=console"
log=$work/console.log
echo "images: booting $img in qemu-system-aarch64 (log in $log)" >&2
start=$(date +%s)
mon=$work/qemu.monitor
qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 2048 -display none -serial stdio -no-reboot \
  -monitor "unix:$mon,server,nowait" \
  -kernel "$work/vmlinuz" -initrd "$work/initrd.img" -append "$cmdline" \
  -drive "file=$img,if=virtio,format=raw,snapshot=on" \
  -device virtio-gpu-pci -device virtio-keyboard-pci -device virtio-tablet-pci \
  -device qemu-xhci -device usb-kbd \
  -netdev user,id=n0 -device virtio-net-pci,netdev=n0,romfile= \
  -watchdog-action poweroff \
  >"$log" 2>&1 &
qemu=$!
trap 'kill $qemu 2>/dev/null || true' EXIT

reached=""
home=""
while [ $(( $(date +%s) - start )) -lt "$timeout" ]; do
  if [ -z "$reached" ] && grep -q '(cage)\[.*session opened for user guichet' "$log"; then
    reached=$(( $(date +%s) - start ))
    echo "images: systemd reached guichet.service after ${reached} s" >&2
  fi
  if grep -q 'home screen is up' "$log"; then
    home=$(( $(date +%s) - start ))
    break
  fi
  kill -0 $qemu 2>/dev/null || break
  sleep 2
done
# What the emulated screen shows, from qemu's monitor: the attract screen
# has its pictures and text in many colours; a compositor showing nothing
# is one colour.
shot=""
if [ -n "$home" ]; then
  sleep "${IMAGE_TEST_SETTLE:-10}"
  printf 'screendump %s\n' "$work/screen.ppm" | socat - "UNIX-CONNECT:$mon" >/dev/null
  for _ in 1 2 3 4 5; do [ -s "$work/screen.ppm" ] && break; sleep 1; done
  shot=$(gi screenshot "$work/screen.ppm" "$work/screen.png" || true)
fi
kill $qemu 2>/dev/null || true
wait $qemu 2>/dev/null || true
window=yes
grep -qE 'Fyne error|window could not be created' "$log" && window=no
colours=${shot##* }
grown=$(grep -o 'guichet-grow-data: the file system on .*' "$log" | tr -d '\r' | head -n 1 || true)
# The updater, in its sandbox, asks the image's real RAUC over the system
# D-Bus, which asks the Pi's trial-boot backend (rauc-boot) for the slots.
rauc=$(grep -o 'msg="guichet-updater: RAUC" state="[^"]*"' "$log" | head -n 1 | sed 's/.*state="\(.*\)"/\1/' || true)
{
  echo "boot to guichet.service: ${reached:-never} s"
  echo "boot to \"home screen is up\": ${home:-never} s"
  echo "kiosk window created without a Fyne error: $window"
  echo "screen (width height colours): ${shot:-none}"
  echo "data partition on a card ${grow} MiB larger: ${grown:-not grown}"
  echo "RAUC, as the updater reads it: ${rauc:-no answer}"
} | tee "$work/boot.txt"
if [ -z "$home" ] || [ $window = no ]; then
  echo "images: the kiosk did not log \"home screen is up\" within $timeout s, or Fyne could not make its window; the end of the console:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
if [ -z "$shot" ] || [ "${colours:-0}" -lt 16 ]; then
  echo "images: the kiosk said its home screen is up, but the emulated screen shows ${colours:-nothing} colour(s) (see $work/screen.png)" >&2
  exit 1
fi
if grep -q 'Read-only file system' "$log"; then
  echo "images: something tried to write to the read-only root:" >&2
  grep 'Read-only file system' "$log" >&2
  exit 1
fi
case $rauc in
  "booted A, next A; rootfs.0 (A) booted good, rootfs.1 (B) "*) ;;
  *)
    echo "images: the updater did not read root A booted and good from RAUC; its lines and RAUC's:" >&2
    grep -E 'guichet-updater|rauc' "$log" >&2 || echo "(none)" >&2
    exit 1
    ;;
esac
if [ -z "$grown" ]; then
  echo "images: the initrd did not grow the data partition into the card's last ${grow} MiB; its lines on the console:" >&2
  grep 'guichet-grow-data' "$log" >&2 || echo "(none)" >&2
  exit 1
fi
echo "images: the screen as the kiosk drew it: $work/screen.png" >&2
