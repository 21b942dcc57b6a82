#!/usr/bin/env bash
# End-to-end ingest figure: messages/s through a local Mosquitto into the headless twin,
# beside a null subscriber (mosquitto_sub > /dev/null) in the same run.
#
#   scripts/bench.sh [MESSAGES] [TOPICS]        default 200000 over 1000 topics
#   SMOKE=1 scripts/bench.sh 20000 100          short run: checks losslessness, not speed
#
# Installs mosquitto if absent (Debian). Loopback only; every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:/usr/sbin:/sbin:$PATH"
N=${1:-200000}
TOPICS=${2:-1000}
LIMIT=${LIMIT:-120}   # seconds any one receiver may take

if ! command -v mosquitto >/dev/null || ! command -v mosquitto_sub >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto mosquitto-clients >/dev/null
fi
cargo build --release --quiet --bin twinview --example flood
TV=target/release/twinview
FLOOD=target/release/examples/flood

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence false
log_dest stderr
CONF
mosquitto -c "$work/mosquitto.conf" 2> "$work/mosquitto.log" & broker=$!
cleanup() { kill "$broker" 2>/dev/null || true; kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done

TIMEFORMAT='%R %U %S'
# Null subscriber: counts nothing, just receives N messages.
( { time timeout "$LIMIT" mosquitto_sub -p "$port" -h 127.0.0.1 -t 'bench/#' -C "$N" > /dev/null; } 2> "$work/sub.time" ) &
sub=$!
# twinview, headless, ingesting the same N messages.
( { time timeout "$LIMIT" "$TV" --headless -b 127.0.0.1 -p "$port" -t 'bench/#' --count "$N" --duration "${LIMIT}s" > "$work/snap.json" 2> "$work/tv.err"; } 2> "$work/tv.time" ) &
tv=$!
# Wait until both have subscribed.
for _ in $(seq 200); do
  grep -q "subscribed to bench/#" "$work/tv.err" 2>/dev/null && break; sleep 0.05
done
sleep 0.5
"$FLOOD" --port "$port" --messages "$N" --topics "$TOPICS" 2> "$work/flood.txt"
wait "$sub" || true
wait "$tv" || true

received=$(python3 -c "import json;print(json.load(open('$work/snap.json'))['messages'])" 2>/dev/null || echo 0)
dropped=$(python3 -c "import json;print(json.load(open('$work/snap.json'))['dropped'])" 2>/dev/null || echo '?')
read -r sub_real sub_user sub_sys < "$work/sub.time"
read -r tv_real tv_user tv_sys < "$work/tv.time"
broker_drops=$(grep -c "outgoing messages are being dropped" "$work/mosquitto.log" || true)
echo "machine:            $(nproc) cores, $(uname -m), $(mosquitto -h 2>&1 | head -1)"
echo "publisher:          $(cat "$work/flood.txt")"
echo "null subscriber:    $N msgs in ${sub_real}s wall ($(python3 -c "print(f'{$N/$sub_real:,.0f}')") msg/s), cpu ${sub_user}u+${sub_sys}s"
echo "twinview headless:  $received/$N msgs in ${tv_real}s wall ($(python3 -c "print(f'{$received/$tv_real:,.0f}')") msg/s), cpu ${tv_user}u+${tv_sys}s, dropped $dropped"
echo "broker drop notices: $broker_drops"
if [ "$received" != "$N" ] || [ "$dropped" != "0" ]; then
  echo "FAIL: twinview did not ingest every message"; exit 1
fi
echo "OK: lossless"
