#!/usr/bin/env bash
# Replays every series of scripts/real_like.py through twinview and counts what it said:
#   scripts/real_like.sh OUTDIR [TWINVIEW]      (TWINVIEW: default target/release/twinview)
# One line per series: its name, the episodes opened, and their kinds. The healthy shapes'
# episodes are all false; each anomalous shape's labelled day is day 11 (2014-04-11).
set -euo pipefail
out=${1:?usage: scripts/real_like.sh OUTDIR [TWINVIEW]}
tv=${2:-target/release/twinview}
here=$(dirname "$0")
python3 "$here/real_like.py" "$out"
for f in "$out"/*.csv; do
  n=$(basename "$f" .csv)
  python3 "$here/csv_recording.py" "real/$n" < "$f" > "$out/$n.jsonl"
  "$tv" replay "$out/$n.jsonl" --headless --events "$out/$n.events.jsonl" > /dev/null 2> "$out/$n.log"
  kinds=$(grep -o '"type":"anomaly_start".*"kind":"[a-z_]*"' "$out/$n.events.jsonl" \
    | grep -o '"kind":"[a-z_]*"' | cut -d'"' -f4 | sort | uniq -c | awk '{printf "%s %s, ", $1, $2}' || true)
  printf '%-15s %3d  %s\n' "$n" "$(grep -c '"anomaly_start"' "$out/$n.events.jsonl" || true)" "${kinds%, }"
done
