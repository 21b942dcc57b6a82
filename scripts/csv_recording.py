#!/usr/bin/env python3
"""A twinview recording of one labelled series kept as CSV (`timestamp,value`, a header line
first), such as the Numenta Anomaly Benchmark's realKnownCause files: each row becomes a
plain-number message on TOPIC at its own time, so `twinview replay` judges the series as if a
sensor had published it. Rows that are not a time and a number are reported on stderr and
skipped.

    scripts/csv_recording.py TOPIC < machine_temperature_system_failure.csv > machine.jsonl
    twinview replay machine.jsonl --headless --events machine.events.jsonl > machine.snapshot.json

Times without a zone are taken as UTC (NAB's are local times of unknown zone; only their
spacing matters here).
"""
import json
import sys
from datetime import datetime, timezone

if len(sys.argv) != 2:
    sys.exit(__doc__)
topic = sys.argv[1]


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


rows = []
for n, line in enumerate(sys.stdin, start=1):
    line = line.strip()
    if not line or n == 1 and not line[:1].isdigit():
        continue
    try:
        when, value = line.split(",", 1)
        t = datetime.fromisoformat(when.strip())
        t = t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc)
        float(value)
    except ValueError:
        print(f"line {n} skipped: not a time and a number", file=sys.stderr)
        continue
    rows.append((t, value.strip()))
if not rows:
    sys.exit("no rows")
rows.sort(key=lambda r: r[0])
out = sys.stdout
out.write(json.dumps({"twinview": "recording", "version": 1, "started": ts(rows[0][0]),
                      "source": "csv", "filters": [topic]}, separators=(",", ":")) + "\n")
for t, value in rows:
    out.write(json.dumps({"t": ts(t), "topic": topic, "qos": 0, "retain": False,
                          "payload": value}, separators=(",", ":")) + "\n")
