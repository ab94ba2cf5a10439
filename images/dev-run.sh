#!/usr/bin/env bash
# `make run`: starts the kiosk from out/bin with its development data under
# out/kiosk. With no $DISPLAY it starts Xvfb itself, runs the kiosk there and
# saves a screenshot of the first screen under out/screenshots.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$PWD/out
bin=$out/bin
mkdir -p "$out/kiosk" "$out/screenshots"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

args=(-data "$out/kiosk" -pack "${GUICHET_PACK:-ma}" -dev)
if [ -z "${DISPLAY:-}" ]; then
  n=99
  while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
  Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp >"$out/xvfb.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done
  export DISPLAY=":$n"
  shot="$out/screenshots/home.png"
  rm -f "$shot"
  args+=(-screenshot "$shot")
  echo "guichet: no \$DISPLAY, running the kiosk under Xvfb on $DISPLAY"
  echo "guichet: a screenshot of the home screen will be saved to $shot"
fi
echo "guichet: press Ctrl-C to stop"
"$bin/guichet" "${args[@]}" &
pids+=($!)
wait "${pids[-1]}"
