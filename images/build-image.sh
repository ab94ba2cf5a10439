#!/usr/bin/env bash
# `make image`: the appliance's disk image for a Raspberry Pi (arm64), from
# Debian bookworm packages and the arm64 binaries `make arm64` built.
#
#   out/image/guichet-rpi-arm64.img   the disk: boot (FAT), root A, root B, data
#   out/image/packages.txt            every Debian package in the root, with its version
#   out/image/build.txt               inputs, sizes and timings of this build
#
# Inputs (environment):
#   DEBIAN_MIRROR       default http://deb.debian.org/debian
#   DEBIAN_SNAPSHOT     e.g. 20250520T000000Z: use snapshot.debian.org at that time
#                       instead of the mirror (the same inputs give the same image)
#   SOURCE_DATE_EPOCH   default: the time of the last commit of images/image-packages.txt
#   IMAGE_OUT           where to build (default out/image)
#   RAUC_KEYRING        PEM certificate(s) bundles must be signed by; default: a
#                       development certificate made under out/image/dev-keys
#
# Needs root (mmdebstrap's root mode, mkfs with owners), binfmt_misc with
# qemu-aarch64 (qemu-user-static) and the packages of images/arm64-packages.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
out=${IMAGE_OUT:-$repo/out/image}
arm64=$repo/out/arm64
start=$(date +%s)

die() { echo "images: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "build-image.sh needs root (mmdebstrap writes files owned by the image's users)"
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || true
  update-binfmts --enable qemu-aarch64 2>/dev/null || true
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || die "binfmt_misc has no qemu-aarch64 entry: install qemu-user-static and binfmt-support (images/install-arm64-packages.sh)"
fi

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct -- images/image-packages.txt 2>/dev/null || true)
  [ -n "$SOURCE_DATE_EPOCH" ] || SOURCE_DATE_EPOCH=$(date +%s)
fi
export SOURCE_DATE_EPOCH
if [ -n "${DEBIAN_SNAPSHOT:-}" ]; then
  mirror=http://snapshot.debian.org/archive/debian/$DEBIAN_SNAPSHOT
else
  mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
fi

gi() { go run ./images/cmd/guichet-image "$@"; }
rm -rf "$out/work"
mkdir -p "$out/work"
work=$out/work

keyring=${RAUC_KEYRING:-}
if [ -z "$keyring" ]; then
  keys=$out/dev-keys
  if [ ! -f "$keys/dev.cert.pem" ]; then
    mkdir -p "$keys"
    openssl req -x509 -newkey rsa:4096 -nodes -days 3650 -keyout "$keys/dev.key.pem" -out "$keys/dev.cert.pem" \
      -subj "/O=Guichet development/CN=Guichet development bundle signer" 2>/dev/null
    echo "images: no RAUC_KEYRING: made a development bundle signer in $keys (never ship it)" >&2
  fi
  keyring=$keys/dev.cert.pem
fi

mapfile -t pkgs < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' images/image-packages.txt | grep -v '^$')
include=$(IFS=,; echo "${pkgs[*]}")

echo "images: the files Guichet adds to the root" >&2
gi overlay -keyring "$keyring" "$work/overlay"
# What the initrd takes from the overlay (it grows the data partition
# before anything mounts it): the initramfs-tools hook and script, and the
# layout. update-initramfs runs in the Debian stage, so they go in there.
initrd_files=$work/initrd-files
mkdir -p "$initrd_files/etc" "$initrd_files/usr/lib/guichet"
cp -a "$work/overlay/etc/initramfs-tools" "$initrd_files/etc/"
cp -a "$work/overlay/usr/lib/guichet/layout.env" "$initrd_files/usr/lib/guichet/"
find "$initrd_files" -print0 | xargs -0 touch -h -d "@$SOURCE_DATE_EPOCH"
export GUICHET_INITRD_FILES=$initrd_files

# The Debian part of the root, cached by its inputs: the package list, the
# mirror, SOURCE_DATE_EPOCH and the initrd's files.
initrd_sum=$(cd "$initrd_files" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)
key=$(printf '%s\n' "$include" "$mirror" "$SOURCE_DATE_EPOCH" "$initrd_sum" | sha256sum | cut -c1-16)
base=$out/debian-bookworm-arm64-$key.tar
t0=$(date +%s)
if [ ! -f "$base" ]; then
  echo "images: mmdebstrap bookworm arm64 from $mirror (SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH)" >&2
  # The hooks run in mmdebstrap's shell, which expands their $1 (the root).
  # update-initramfs is diverted while the packages install, so that the
  # initrd is made once (it takes minutes under qemu-user), at the end.
  # shellcheck disable=SC2016
  mmdebstrap --arch=arm64 --variant=minbase --components=main,non-free-firmware \
    --include="$include" \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --essential-hook='mkdir -p "$1/boot/firmware"' \
    --essential-hook='chroot "$1" dpkg-divert --quiet --local --rename --add /usr/sbin/update-initramfs && ln -s /bin/true "$1/usr/sbin/update-initramfs"' \
    --customize-hook='rm "$1/usr/sbin/update-initramfs" && chroot "$1" dpkg-divert --quiet --local --rename --remove /usr/sbin/update-initramfs' \
    --customize-hook='cp -a "$GUICHET_INITRD_FILES/." "$1/"' \
    --customize-hook='chroot "$1" update-initramfs -c -k all' \
    bookworm "${base%.tar}.partial.tar" "deb $mirror bookworm main non-free-firmware" "deb $mirror bookworm-updates main non-free-firmware" \
    "deb ${mirror%/debian}/debian-security bookworm-security main non-free-firmware"
  mv "${base%.tar}.partial.tar" "$base"
fi
debootstrap_s=$(( $(date +%s) - t0 ))

for b in guichet guichetctl guichet-updater; do
  [ -x "$arm64/$b" ] || die "$arm64/$b is missing: run make arm64 first (cmd/$b must exist)"
done
mkdir -p "$work/overlay/usr/lib/guichet/bin"
cp "$arm64/guichet" "$arm64/guichetctl" "$arm64/guichet-updater" "$work/overlay/usr/lib/guichet/bin/"

root=$work/root
mkdir -p "$root"
tar -xpf "$base" -C "$root" --numeric-owner
cp -a "$work/overlay/." "$root/"
chroot "$root" systemd-sysusers
chroot "$root" dpkg-query -W -f="\${Package} \${Version}\n" >"$out/packages.txt"

# The root as the kiosk runs it: no login anywhere, resolv.conf from
# systemd-resolved, no machine-id (made at each boot on the read-only root),
# nothing left of the build.
chroot "$root" passwd -l root >/dev/null
ln -sf ../run/systemd/resolve/stub-resolv.conf "$root/etc/resolv.conf"
: >"$root/etc/machine-id"
rm -rf "$root/var/cache/apt"/* "$root/var/lib/apt/lists"/* "$root/var/log"/* "$root/boot/firmware"/* "$root/tmp"/* "$root/var/tmp"/*
mkdir -p "$root/var/log/journal"
# What systemd-tmpfiles would make at each boot on the root (the login
# records, /var/log/private, dbus's machine-id link, polkit's rules
# directory's mode), made now: at boot the root is read-only, and
# systemd-tmpfiles-setup.service failed on each of them (found booting the
# image). The data partition and the memory file systems are made at boot.
systemd-tmpfiles --create --root="$root" --exclude-prefix=/var/lib/guichet --exclude-prefix=/run \
  --exclude-prefix=/tmp --exclude-prefix=/var/tmp --exclude-prefix=/dev --exclude-prefix=/proc --exclude-prefix=/sys ||
  die "systemd-tmpfiles could not make the root's files"
for bad in sudo login-shell; do
  if chroot "$root" dpkg-query -W "$bad" >/dev/null 2>&1; then die "the root has $bad installed"; fi
done

# The data partition's first contents: the tree of usr/lib/tmpfiles.d/guichet.conf
# with the image's users, systemd's state, and the journal's directory.
data=$work/data
mkdir -p "$data"
owner() { chroot "$root" id -u "$1"; }
group() { chroot "$root" getent group "$1" | cut -d: -f3; }
while read -r type path mode user grp _; do
  [ "$type" = d ] || continue
  rel=${path#/var/lib/guichet}
  mkdir -p "$data$rel"
  chown "$(owner "$user"):$(group "$grp")" "$data$rel"
  chmod "$mode" "$data$rel"
done < <(grep -v '^#' "$root/usr/lib/tmpfiles.d/guichet.conf" | grep -v '^$')
cp -a "$root/var/lib/systemd/." "$data/system/systemd/"
find "$root/var/lib/systemd" -mindepth 1 -delete

# The boot partition: the Pi firmware, and each slot's kernel, initrd,
# device trees and command line under a/ and b/. Root B starts empty and is
# marked bad until RAUC writes it.
boot=$work/boot
mkdir -p "$boot"
cp "$root"/usr/lib/raspi-firmware/*.bin "$root"/usr/lib/raspi-firmware/*.dat "$root"/usr/lib/raspi-firmware/*.elf "$boot/"
for s in A B; do
  d=$(tr AB ab <<<"$s")
  GUICHET_LAYOUT="$root/usr/lib/guichet/layout.env" sh "$root/usr/lib/guichet/rauc-boot" install-kernel "$root" "$boot/$d"
  gi cmdline "$s" "${KERNEL_CONSOLE:-ttyS1,115200}" >"$boot/$d/cmdline.txt"
done
echo bad >"$boot/b/state"
gi boot-config A >"$boot/config.txt"

# Every file dated SOURCE_DATE_EPOCH, so the same inputs give the same bytes.
for d in "$root" "$data" "$boot"; do
  find "$d" -newermt "@$SOURCE_DATE_EPOCH" -print0 | xargs -0 -r touch -h -d "@$SOURCE_DATE_EPOCH"
done

echo "images: file systems" >&2
export E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH
uuid() { printf '4743%04x-0000-4000-8000-%012x\n' "$1" "$SOURCE_DATE_EPOCH"; }
mkext4() { # LABEL SIZE DIR FILE N
  local dargs=()
  [ -n "$3" ] && dargs=(-d "$3")
  mke2fs -q -t ext4 -L "$1" -U "$(uuid "$5")" -E "hash_seed=$(uuid "$5"),root_owner=0:0" -I 256 -b 4096 \
    -O ^metadata_csum_seed "${dargs[@]}" "$4" "$(( $2 / 1024 ))k"
  [ -n "$3" ] && same_times "$3" "$4"
  e2fsck -fn "$4" >/dev/null || die "$1: the new file system does not check clean"
}
# mke2fs -d copies each file's change time, which touch cannot set (it is
# when this build wrote the file), and its access time, which reading the
# file (mke2fs's own reading, under relatime) moved. debugfs sets both to
# SOURCE_DATE_EPOCH: the same inputs, the same bytes (measured by building
# twice).
same_times() { # DIR FILE
  local cmds=$work/ctime.debugfs
  if find "$1" -name '*"*' -print -quit | grep -q .; then
    die "a file name under $1 has a double quote, which debugfs's commands cannot carry"
  fi
  { echo /; (cd "$1" && find . -mindepth 1 -printf '/%P\n'); } |
    awk -v t="@$SOURCE_DATE_EPOCH" '{ for (f = 1; f <= 2; f++) printf "sif \"%s\" %s %s\n", $0, (f == 1 ? "ctime" : "atime"), t }' >"$cmds"
  debugfs -w -f "$cmds" "$2" 2>&1 >/dev/null | grep -v '^debugfs [0-9]' >&2 && die "debugfs could not date every file of $2"
  rm -f "$cmds"
}
while read -r name _ label fs _ size; do
  f=$work/$name.img
  rm -f "$f"
  case $name in
    boot)
      mkfs.vfat -F 32 -n "$label" -i 47434831 --invariant -C "$f" "$(( size / 1024 ))" >/dev/null
      (cd "$boot" && mcopy -s -p -m -i "$f" ./* ::/)
      ;;
    rootfs.0) mkext4 "$label" "$size" "$root" "$f" 2 ;;
    rootfs.1) mkext4 "$label" "$size" "" "$f" 3 ;;
    data) mkext4 "$label" "$size" "$data" "$f" 4 ;;
  esac
  [ "$fs" = vfat ] || [ "$fs" = ext4 ] || die "unknown file system $fs"
done < <(gi partitions)

echo "images: the disk" >&2
img=$out/guichet-rpi-arm64.img
rm -f "$img"
truncate -s "$(gi size)" "$img"
gi sfdisk | sfdisk --quiet --no-reread --no-tell-kernel "$img"
while read -r name _ _ _ offset _; do
  dd if="$work/$name.img" of="$img" bs=1M seek="$(( offset / 1048576 ))" conv=notrunc,sparse status=none
done < <(gi partitions)
rm -f "$work"/*.img

end=$(date +%s)
used=$(du -sm --apparent-size "$root" | cut -f1)
{
  echo "image: $img"
  echo "size: $(stat -c %s "$img") bytes ($(du -m "$img" | cut -f1) MiB allocated)"
  echo "sha256: $(sha256sum "$img" | cut -d' ' -f1)"
  echo "root file system: $used MiB, $(wc -l <"$out/packages.txt") packages (packages.txt)"
  echo "mirror: $mirror"
  echo "SOURCE_DATE_EPOCH: $SOURCE_DATE_EPOCH"
  echo "mmdebstrap: ${debootstrap_s} s; whole build: $(( end - start )) s"
} | tee "$out/build.txt"
