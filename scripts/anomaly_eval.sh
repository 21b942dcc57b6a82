#!/usr/bin/env bash
# The labelled anomaly benchmark through the real binary: for each world,
#   twinview sim --offline   writes a recording and its ground truth (every fault, every
#                            process change), far faster than real time;
#   twinview replay --headless --events   replays it with the default detectors, and again
#                            with --detector lab;
#   examples/anomaly_eval    scores the events files against the truths: per fault kind,
#                            recall, share named right and median delay; false episodes per
#                            healthy sensor-hour; process changes found.
#
#   scripts/anomaly_eval.sh [WORLDS] [DURATION]     default 12 worlds of 6h
#   CHECK=1 scripts/anomaly_eval.sh 4 2h            fail (exit 1) below the documented targets
#
# Worlds differ in zones, sensors per zone and publish interval; the seed draws the rest
# (noise level, autocorrelation, resolution, cycle, fault magnitudes and times).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
WORLDS=${1:-12}
DURATION=${2:-6h}
cargo build --release --quiet --bin twinview --example anomaly_eval
TV=target/release/twinview
EVAL=target/release/examples/anomaly_eval

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
zones=(4 2 3 5 1 6)
per_zone=(7 5 9 4 12 6)
intervals=(5 1 10 2 30)
default_args=()
lab_args=()
for i in $(seq 0 $((WORLDS - 1))); do
  z=${zones[$((i % 6))]}
  p=${per_zone[$(((i / 2) % 6))]}
  iv=${intervals[$(((i / 3) % 5))]}
  seed=$((2000 + i))
  "$TV" sim --offline --duration "$DURATION" --interval "$iv" --seed "$seed" \
    --zones "$z" --per-zone "$p" --out "$work/w$i.jsonl" --truth "$work/t$i.json" 2>/dev/null
  "$TV" replay "$work/w$i.jsonl" --headless --events "$work/d$i.jsonl" >/dev/null 2>&1
  "$TV" replay "$work/w$i.jsonl" --headless --detector lab --events "$work/l$i.jsonl" >/dev/null 2>&1
  default_args+=(--truth "$work/t$i.json" --events "$work/d$i.jsonl")
  lab_args+=(--truth "$work/t$i.json" --events "$work/l$i.jsonl")
  echo "world $i: $z zones × $p sensors, every $iv s for $DURATION (seed $seed)" >&2
done
"$EVAL" --title "--detector lab" "${lab_args[@]}"
if [ "${CHECK:-0}" = 1 ]; then
  "$EVAL" --title "default detectors" --check "${default_args[@]}"
else
  "$EVAL" --title "default detectors" "${default_args[@]}"
fi
