#!/usr/bin/env bash
# Prints, one a line, the Debian packages of a list (one name a line, #
# comments) that are not installed for the architecture they name — the
# host's when they name none. Used by install-host-packages.sh and
# install-arm64-packages.sh.
set -euo pipefail
native=$(dpkg --print-architecture)
sed -e 's/#.*//' -e 's/[[:space:]]//g' "$1" | grep -v '^$' | while read -r p; do
  # One line an installed architecture: with the :arm64 libraries of
  # `make arm64` beside the host's, a name alone matches both.
  status=$(dpkg-query -W -f='${Architecture} ${db:Status-Status}\n' "$p" 2>/dev/null || true)
  case $p in
    *:*) want="${p##*:} installed" ;;
    *) want="$native installed" ;;
  esac
  grep -qxE "($want|all installed)" <<<"$status" || echo "$p"
done
