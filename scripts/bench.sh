#!/usr/bin/env bash
# End-to-end ingest: N lab-6 JSON readings over T topics, published at QoS 0 as fast as a raw
# socket can through a local Mosquitto, received in the same run by
#   - mosquitto_sub -t 'bench/#' > /dev/null       (the C null subscriber)
#   - examples/null_sub.rs                          (a minimal rumqttc client that only counts)
#   - twinview --headless                           (decode, statistics, anomalies, liveness)
# and, with RECORD=1, twinview also records the session and replays it headless; with
# SCRAPE=1, twinview serves --metrics and curl scrapes /metrics every second during the run
# (the scrape times and the exposition's size are printed); with STORE=1, twinview stores every
# reading in a SQLite history (--store) and the rows written, lost and bytes per reading are
# printed.
#
#   scripts/bench.sh [MESSAGES] [TOPICS]        default 1000000 over 10000 topics
#   scripts/bench.sh 20000 100                  a short smoke run: checks losslessness
#
# Installs mosquitto and GNU time if absent (Debian). Loopback only; every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:/usr/sbin:/sbin:$PATH"
N=${1:-1000000}
TOPICS=${2:-10000}
LIMIT=${LIMIT:-300}   # seconds any one receiver may take

if ! command -v mosquitto >/dev/null || ! command -v mosquitto_sub >/dev/null || [ ! -x /usr/bin/time ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto mosquitto-clients time >/dev/null
fi
cargo build --release --quiet --bin twinview --example flood --example null_sub
TV=target/release/twinview

work=$(mktemp -d)
chmod 755 "$work"
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

T="/usr/bin/time -f %e\t%U\t%S\t%M"
rec_args=()
[ "${RECORD:-0}" = 1 ] && rec_args=(--record "$work/session.jsonl")
[ "${STORE:-0}" = 1 ] && rec_args+=(--store "$work/history.db")
if [ "${SCRAPE:-0}" = 1 ]; then
  mport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  rec_args+=(--metrics "127.0.0.1:$mport")
  ( while sleep 1; do
      curl -s -o "$work/last.metrics" -w '%{time_total}\n' "http://127.0.0.1:$mport/metrics" >> "$work/scrapes" 2>/dev/null || true
    done ) &
fi
$T -o "$work/sub.time" timeout "$LIMIT" mosquitto_sub -p "$port" -h 127.0.0.1 -t 'bench/#' -C "$N" > /dev/null &
sub=$!
$T -o "$work/null.time" timeout "$LIMIT" target/release/examples/null_sub --port "$port" --topic 'bench/#' --count "$N" 2> "$work/null.err" &
null=$!
$T -o "$work/tv.time" timeout "$LIMIT" "$TV" --headless -b 127.0.0.1 -p "$port" -t 'bench/#' --count "$N" \
  --duration "${LIMIT}s" "${rec_args[@]}" > "$work/snap.json" 2> "$work/tv.err" &
tv=$!
for _ in $(seq 200); do
  grep -q "subscribed to bench/#" "$work/tv.err" 2>/dev/null && grep -q subscribed "$work/null.err" 2>/dev/null && break
  sleep 0.05
done
sleep 0.5
target/release/examples/flood --port "$port" --messages "$N" --topics "$TOPICS" 2> "$work/flood.txt"
# Not a bare `wait`: the broker is a background job too. twinview's own exit status is kept:
# a crash or an error exit is a failure even if the snapshot looked right.
tv_status=0
wait "$tv" || tv_status=$?
wait "$sub" "$null" || true

field() { python3 -c "import json;print(json.load(open('$work/snap.json'))['$1'])" 2>/dev/null || echo 0; }
received=$(field messages); dropped=$(field dropped)
row() { # name file received
  read -r wall user sys rss < "$2"
  python3 - "$1" "$3" "$N" "$wall" "$user" "$sys" "$rss" <<'PY'
import sys
name, got, n, wall, user, sys_, rss = sys.argv[1:]
got, n, wall, cpu = int(got), int(n), float(wall), float(user) + float(sys_)
print(f"{name:<20} {got:>9}/{n} msgs  {wall:7.2f} s wall  {got/wall:>10,.0f} msg/s  cpu {user}u+{sys_}s = {cpu/ (got or 1) * 1e6:5.2f} cpu-s/1M  peak RSS {int(rss)/1024:6.1f} MB")
PY
}
echo "machine:            $(nproc) cores, $(uname -m), $(mosquitto -h 2>&1 | head -1)"
echo "publisher:          $(cat "$work/flood.txt")"
row "mosquitto_sub" "$work/sub.time" "$N"
nulln=$(grep -o 'received [0-9]*' "$work/null.err" | grep -o '[0-9]*' || echo 0)
row "rumqttc null_sub" "$work/null.time" "$nulln"
row "twinview headless" "$work/tv.time" "$received"
echo "twinview dropped:   $dropped"
if [ "${SCRAPE:-0}" = 1 ]; then
  python3 - "$work/scrapes" "$work/last.metrics" <<'PY'
import sys, os
times = sorted(float(x) for x in open(sys.argv[1]) if x.strip() and float(x) > 0) if os.path.exists(sys.argv[1]) else []
size = os.path.getsize(sys.argv[2]) if os.path.exists(sys.argv[2]) else 0
series = sum(1 for l in open(sys.argv[2]) if l.startswith("twinview_sensor_last{")) if size else 0
if times:
    print(f"scrapes:            {len(times)} answered, median {times[len(times)//2]*1000:.0f} ms, max {times[-1]*1000:.0f} ms; last exposition {size/1e6:.1f} MB, {series} series")
else:
    print("scrapes:            none answered")
PY
fi
echo "broker drop notices: $(grep -c 'outgoing messages are being dropped' "$work/mosquitto.log" || true)"
if [ "${RECORD:-0}" = 1 ]; then
  ls -la "$work/session.jsonl" | awk '{print "recording:          " $5 " bytes"}'
  $T -o "$work/replay.time" "$TV" replay "$work/session.jsonl" --headless > "$work/replayed.json"
  read -r wall user sys rss < "$work/replay.time"
  echo "replay --headless:  $(python3 -c "import json;print(json.load(open('$work/replayed.json'))['messages'])") msgs in ${wall}s (cpu ${user}u+${sys}s, peak RSS $((rss/1024)) MB)"
  # The recording's own span: first event to the end line.
  python3 - "$work/session.jsonl" "$wall" <<'PY'
import json, sys
from datetime import datetime
def t(line):
    return datetime.fromisoformat(json.loads(line)["t"].replace("Z", "+00:00"))
with open(sys.argv[1]) as f:
    f.readline()
    first = t(f.readline())
    for line in f:
        last = line
span = (t(last) - first).total_seconds()
print(f"recorded span:      {span:.2f} s; replay {span / float(sys.argv[2]):.1f}x faster than it was recorded")
PY
fi
if [ "$tv_status" != 0 ]; then
  echo "FAIL: twinview exited with status $tv_status"; tail -5 "$work/tv.err"; exit 1
fi
if [ "$received" != "$N" ] || [ "$dropped" != "0" ]; then
  echo "FAIL: twinview did not ingest every message"; exit 1
fi
echo "OK: lossless"
if [ "${STORE:-0}" = 1 ]; then
  python3 - "$work/snap.json" "$work/history.db" <<'PY'
import json, os, sqlite3, sys
snap = json.load(open(sys.argv[1]))
store = next((o for o in snap.get("outputs", []) if o["output"] == "store"), None)
db = sys.argv[2]
size = sum(os.path.getsize(db + s) for s in ("", "-wal", "-shm") if os.path.exists(db + s))
n = sqlite3.connect(db).execute("select count(*) from readings").fetchone()[0]
print(f"store:              {store}")
print(f"                    {n} readings stored, {size/1e6:.1f} MB on disk, {size/max(n,1):.1f} bytes per reading")
PY
fi
