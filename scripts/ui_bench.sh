#!/usr/bin/env bash
# The terminal UI under load and at rest, in a 200×50 tmux pane: floods N lab-6 readings over
# T topics through a local Mosquitto, reads the header (messages received), then measures the
# UI's CPU at rest (IDLE seconds, default 60) with 10,000 series loaded and no traffic, per thread.
# Fails (exit 1) when the UI did not count every message flooded or counted any as dropped.
# The rumqttc null client receives the same flood at the same time as the reference; with
# NULL=0 the UI is the only receiver (on two cores the two compete, BENCHMARKS.md).
#   scripts/ui_bench.sh [MESSAGES] [TOPICS]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:/usr/sbin:/sbin:$PATH"
N=${1:-1000000}
TOPICS=${2:-10000}
command -v tmux >/dev/null || { apt-get update -qq && apt-get install -y -qq tmux >/dev/null; }
cargo build --release --quiet --bin twinview --example flood --example null_sub
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
work=$(mktemp -d)
chmod 755 "$work"
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n' "$port" > "$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" 2> "$work/mosquitto.log" & broker=$!
trap 'tmux kill-session -t tvbench 2>/dev/null || true; kill $broker 2>/dev/null || true; rm -rf "$work"' EXIT
sleep 0.5
tmux new-session -d -s tvbench -x 200 -y 50 "target/release/twinview -b 127.0.0.1 -p $port -t 'bench/#'"
sleep 2
pid=$(pgrep -n -f "target/release/twinview -b 127.0.0.1 -p $port")
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
# The reference in the same run: the rumqttc client that only counts.
null=""
if [ "${NULL:-1}" != 0 ]; then
  /usr/bin/time -f "%U %S" -o "$work/null.time" timeout 300 target/release/examples/null_sub \
    --port "$port" --topic 'bench/#' --count "$N" 2> "$work/null.err" & null=$!
  for _ in $(seq 100); do grep -q subscribed "$work/null.err" 2>/dev/null && break; sleep 0.05; done
fi
c0=$(ticks); s0=$(date +%s.%N)
target/release/examples/flood --port "$port" --messages "$N" --topics "$TOPICS" 2>&1 | tail -1
sleep 3
c1=$(ticks); s1=$(date +%s.%N)
header=$(tmux capture-pane -p -t tvbench | head -1)
echo "header: $header"
drops=$(grep -c 'outgoing messages are being dropped' "$work/mosquitto.log" || true)
echo "broker drop notices: $drops"
# Lossless or fail: the header's message count must be every message flooded (a few more
# seconds if the UI is still catching up), and nothing counted as dropped.
received=0
for _ in $(seq 20); do
  header=$(tmux capture-pane -p -t tvbench | head -1)
  received=$(grep -o '[0-9,]* msgs\?' <<<"$header" | tr -d ', msg' || echo 0)
  [ "${received:-0}" -ge "$N" ] && break
  sleep 0.5
done
dropped=$(grep -o '[0-9,]* dropped' <<<"$header" | tr -d ', dropped' || echo 0)
if [ "${received:-0}" -lt "$N" ] || [ "${dropped:-0}" -gt 0 ]; then
  echo "LOSS: the UI counted ${received:-0} of $N messages, ${dropped:-0} dropped (broker drop notices: $drops)" >&2
  exit 1
fi
echo "lossless: $received of $N messages, 0 dropped"
python3 -c "print(f'UI under load: {($c1-$c0)/$hz:.2f} cpu-s for $N msgs = {($c1-$c0)/$hz/$N*1e6:.2f} cpu-s/1M, {($c1-$c0)/$hz/($s1-$s0)*100:.0f}% of a core')"
if [ -n "$null" ]; then
  wait "$null" || true
  read -r nu ns < "$work/null.time" || true
  echo "rumqttc null_sub (same run): $(grep -o 'received [0-9]*' "$work/null.err" || echo 'received ?'), $(python3 -c "print(f'{($nu+$ns)/$N*1e6:.2f}')" 2>/dev/null || echo '?') cpu-s/1M"
fi
# At rest: 60 s, so the clock-tick resolution (1/CLK_TCK s) is a small part of the figure.
IDLE=${IDLE:-60}
declare -A t0
for t in /proc/$pid/task/*; do t0[$t]=$(awk '{print $14 + $15}' "$t/stat"); done
c2=$(ticks); sleep "$IDLE"; c3=$(ticks)
python3 -c "print(f'UI idle with the series loaded: {($c3-$c2)/$hz/$IDLE*100:.2f}% of a core over $IDLE s')"
for t in /proc/$pid/task/*; do
  echo "  thread $(cat "$t/comm"): $(( $(awk '{print $14 + $15}' "$t/stat") - ${t0[$t]:-0} )) ticks"
done
grep -E "VmHWM|VmRSS" "/proc/$pid/status"
tmux send-keys -t tvbench q
