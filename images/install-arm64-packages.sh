#!/usr/bin/env bash
# Installs what `make arm64` and `make image` need on a Debian bookworm amd64
# build host, beyond images/host-packages.txt (kept apart so that `make test`
# stays fast): the arm64 cross compiler, the arm64 headers and libraries that
# Fyne's cgo build links against (GLFW on Wayland, OpenGL ES/EGL), and the
# image tools (mmdebstrap, qemu-user-static for binfmt_misc, the partitioning
# and file-system tools, qemu-system-aarch64 for `make image-test`).
# Like install-host-packages.sh it runs apt-get only when something is
# missing, so a second run is instant.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
list=$here/arm64-packages.txt
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "images: need root or sudo to install the arm64 build packages" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
refreshed=no
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "images: adding arm64 as a foreign architecture (for the :arm64 -dev packages)" >&2
  $sudo dpkg --add-architecture arm64
  $sudo apt-get update -q >&2
  refreshed=yes
fi
mapfile -t missing < <(bash "$here/missing-packages.sh" "$list")
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "images: installing ${#missing[@]} Debian packages for the arm64 build: ${missing[*]}" >&2
if [ $refreshed = no ] && [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*arm64_Packages*' -mtime -1 2>/dev/null | head -1)" ]; then
  $sudo apt-get update -q >&2
fi
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
