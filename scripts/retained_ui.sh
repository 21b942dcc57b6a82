#!/usr/bin/env bash
# The terminal UI at connect to a broker holding N retained messages (default 100,000, one per
# topic): the UI in a 200×50 tmux pane must count every one and drop none (issue #14, item 7).
#   scripts/retained_ui.sh [N]
# Exits 1 on any loss. Loopback only; every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:/usr/sbin:/sbin:$PATH"
N=${1:-100000}
command -v tmux >/dev/null || { apt-get update -qq && apt-get install -y -qq tmux >/dev/null; }
cargo build --release --quiet --bin twinview --example flood
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
work=$(mktemp -d)
chmod 755 "$work"
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n' "$port" > "$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" 2> "$work/mosquitto.log" & broker=$!
trap 'tmux kill-session -t tvretained 2>/dev/null || true; kill $broker 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
target/release/examples/flood --port "$port" --messages "$N" --topics "$N" --retain 2>&1 | tail -1
tmux new-session -d -s tvretained -x 200 -y 50 "target/release/twinview -b 127.0.0.1 -p $port -t 'bench/#'"
received=0
for _ in $(seq 60); do
  header=$(tmux capture-pane -p -t tvretained | head -1)
  received=$(grep -o '[0-9,]* msgs\?' <<<"$header" | tr -d ', msg' || echo 0)
  [ "${received:-0}" -ge "$N" ] && break
  sleep 0.5
done
sleep 1
header=$(tmux capture-pane -p -t tvretained | head -1)
echo "header: $header"
dropped=$(grep -o '[0-9,]* dropped' <<<"$header" | tr -d ', dropped' || echo 0)
tmux send-keys -t tvretained q
if [ "${received:-0}" -lt "$N" ] || [ "${dropped:-0}" -gt 0 ]; then
  echo "LOSS: the UI counted ${received:-0} of $N retained messages, ${dropped:-0} dropped" >&2
  exit 1
fi
echo "lossless: $received of $N retained messages, 0 dropped"
