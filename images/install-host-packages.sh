#!/usr/bin/env bash
# Installs the Debian packages listed in images/host-packages.txt that are not
# installed yet. Runs apt-get only when something is missing, so a second run
# is instant. Needs root (or sudo) only when it has something to install.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
list=${1:-$here/host-packages.txt}
mapfile -t missing < <(bash "$here/missing-packages.sh" "$list")
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "images: installing ${#missing[@]} Debian packages: ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "images: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; refresh them when they are older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1)" ]; then
  $sudo apt-get update -q >&2
fi
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
