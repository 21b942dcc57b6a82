#!/usr/bin/env bash
# Soak: lab-6 readings over 10,000 topics at RATE msg/s for SECONDS through a local Mosquitto
# into the headless twin, sampling its resident memory every 30 s.
#   scripts/soak.sh [SECONDS] [RATE]        default 3600 s at 10,000 msg/s
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:/usr/sbin:/sbin:$PATH"
SECS=${1:-3600}
RATE=${2:-10000}
cargo build --release --quiet --bin twinview --example flood
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mosquitto -p "$port" >/dev/null 2>&1 & broker=$!
work=$(mktemp -d)
trap 'kill $broker 2>/dev/null || true; kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
# Copies, so a rebuild during an hour-long run cannot touch the binaries under test.
cp target/release/twinview target/release/examples/flood "$work/"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"
sleep 0.5
"$work/twinview" --headless -b 127.0.0.1 -p "$port" -t 'bench/#' --duration "$((SECS + 10))s" > "$work/snap.json" 2> "$work/tv.err" &
tv=$!
sleep 1
"$work/flood" --port "$port" --messages "$((SECS * RATE))" --topics 10000 --rate "$RATE" 2> "$work/flood.txt" &
flood=$!
echo "elapsed_s  rss_mb"
for ((t = 0; t <= SECS; t += 30)); do
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$tv/status" 2>/dev/null || echo 0)
  printf "%9d  %6.1f\n" "$t" "$(echo "$rss / 1024" | bc -l)"
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$tv/status" 2>/dev/null || echo "${hwm:-0}")
  sleep 30
done
echo "peak RSS (VmHWM) at the last sample: $(echo "$hwm / 1024" | bc -l | cut -c1-5) MB"
wait "$flood" || true
wait "$tv" || true
cat "$work/flood.txt"
python3 -c "import json;d=json.load(open('$work/snap.json'));print('messages', d['messages'], 'dropped', d['dropped'], 'series', len(d['sensors']))"
