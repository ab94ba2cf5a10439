#!/usr/bin/env bash
# `make run`: starts the kiosk from out/bin with its development data under
# out/kiosk. With no $DISPLAY it starts Xvfb itself, runs the kiosk there and
# saves a screenshot of the first screen under out/screenshots.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$PWD/out
bin=$out/bin
mkdir -p "$out/kiosk" "$out/screenshots" "$out/devices" "$out/registry"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# The emulated peripherals first: the kiosk opens them by their stable paths,
# and finds the laser printer's CUPS queue and server in devices.env.
devs="$out/devices"
rm -f "$devs/devices.env"
"$bin/guichet-devsim" -dir "$devs" -gpio-sim "$devs/gpio.sock" -laser guichet-laser </dev/null >"$out/devsim.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$devs/devices.env" ] && break; sleep 0.1; done
[ -s "$devs/devices.env" ] || { echo "guichet: guichet-devsim did not start (see $out/devsim.log)" >&2; exit 1; }
echo "guichet: emulated peripherals in $devs; script them with:"
echo "  echo 'card insert cnie' | socat - UNIX-CONNECT:$devs/devsim.sock   (help lists the commands)"
if grep -q '^laser=' "$devs/devices.env"; then
  echo "guichet: emulated laser printer: queue $(sed -n 's/^laser=//p' "$devs/devices.env") on $(sed -n 's/^cups=//p' "$devs/devices.env"); its PDFs land in $devs/laser"
else
  echo "guichet: no emulated laser printer, so no extract collection (why: $out/devsim.log)" >&2
fi

args=(-data "$out/kiosk" -pack "${GUICHET_PACK:-ma}" -dev -devices "$devs/devices.env" -gpio-sim "$devs/gpio.sock" -registry-dir "$out/registry")
shot=""
if [ -z "${DISPLAY:-}" ]; then
  n=99
  while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
  Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp >"$out/xvfb.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done
  export DISPLAY=":$n"
  shot="$out/screenshots/home.png"
  rm -f "$shot"
  echo "guichet: no \$DISPLAY, running the kiosk under Xvfb on $DISPLAY"
fi
# Fyne cannot parse the POSIX locale names C and POSIX as languages.
case "${LANG:-C}" in C|C.*|POSIX) export LANG=en_US.UTF-8 ;; esac
log="$out/guichet.log"
echo "guichet: log in $log; press Ctrl-C to stop"
"$bin/guichet" "${args[@]}" > >(tee "$log") 2>&1 &
pids+=($!)
for _ in $(seq 300); do grep -q 'home screen is up' "$log" 2>/dev/null && break; sleep 0.1; done
if grep -q 'console running' "$log" 2>/dev/null || grep -q 'development registry and console' "$log" 2>/dev/null; then
  echo "guichet: the registry's console is at http://127.0.0.1:8444 (accounts operations, greffier, procureur; password guichet-dev-password)"
fi
if [ -n "$shot" ]; then
  sleep 1 # let the first frames reach the X server
  im=/usr/bin/convert; [ -x "$im" ] || im=convert
  if xwd -root -silent -display "$DISPLAY" | "$im" xwd:- "$shot"; then
    echo "guichet: screenshot of the home screen saved to $shot"
  else
    echo "guichet: could not take a screenshot (xwd/convert failed)" >&2
  fi
fi
wait "${pids[-1]}"
