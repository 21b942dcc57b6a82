#!/usr/bin/env bash
# Scale-out, measured (README, "Metrics"): 7 sensors × 100 readings through a local Mosquitto to
# two headless twinviews, first as one --share group (the broker deals messages round-robin),
# then with disjoint topic filters (each instance owns some of the sensors). Prints, per instance,
# how many readings of each sensor it saw: with --share every message arrives once but a
# sensor's readings are split between the instances (its statistics are over a part); with
# disjoint filters each sensor is whole in one instance.
#
#   scripts/share.sh
set -euo pipefail
cd "$(dirname "$0")/.."
TV=${TV:-target/debug/twinview}
[ -x "$TV" ] || cargo build --quiet --bin twinview
work=$(mktemp -d); chmod 755 "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$port" > "$work/m.conf"
mosquitto -c "$work/m.conf" 2>/dev/null & broker=$!
trap 'kill $broker 2>/dev/null; kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done

run() { # name, then the two instances' extra arguments separated by --
  local name=$1; shift
  local a=() b=(); while [ "$1" != "--" ]; do a+=("$1"); shift; done; shift; b=("$@")
  "$TV" --headless -b 127.0.0.1 -p "$port" --qos 1 --duration 8s "${a[@]}" > "$work/a.json" 2> "$work/a.err" &
  "$TV" --headless -b 127.0.0.1 -p "$port" --qos 1 --duration 8s "${b[@]}" > "$work/b.json" 2> "$work/b.err" &
  for _ in $(seq 100); do grep -q subscribed "$work/a.err" && grep -q subscribed "$work/b.err" && break; sleep 0.05; done
  for i in $(seq 0 99); do for s in 0 1 2 3 4 5 6; do echo "f/temperature/s$s $((20 + i % 5))"; done; done |
    while read -r t v; do mosquitto_pub -p "$port" -q 1 -t "$t" -m "$v"; done
  wait $(jobs -p | grep -v "^$broker$") 2>/dev/null || true
  python3 - "$name" "$work/a.json" "$work/b.json" <<'PY'
import json, sys
name, *files = sys.argv[1:]
print(name)
for tag, f in zip("AB", files):
    s = json.load(open(f))
    counts = {x["topic"].rsplit("/", 1)[-1]: x["count"] for x in s["sensors"]}
    print(f"  instance {tag}: {s['messages']:4d} messages; readings per sensor: " + " ".join(f"{k}={counts[k]}" for k in sorted(counts)))
PY
}
run "--share g (Mosquitto, round-robin):" -t 'f/#' --share g -- -t 'f/#' --share g
run "disjoint filters (s0-s3 / s4-s6):" -t f/temperature/s0 -t f/temperature/s1 -t f/temperature/s2 -t f/temperature/s3 -- \
  -t f/temperature/s4 -t f/temperature/s5 -t f/temperature/s6
