#!/usr/bin/env python3
"""A synthetic twinview recording for replay benchmarks and profiles, without a broker:
N lab-6 readings round-robin over TOPICS topics, spread evenly over SECONDS of recording time
(the duration the 1M flood of scripts/bench.sh took to record).

    scripts/synth_recording.py [N] [TOPICS] [SECONDS] > big.jsonl      default 1000000 10000 37
"""
import json
import sys
from datetime import datetime, timedelta, timezone

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
topics = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 37.0
t0 = datetime(2026, 11, 21, 12, 0, 0, tzinfo=timezone.utc)


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


out = sys.stdout
out.write(json.dumps({"twinview": "recording", "version": 1, "started": ts(t0),
                      "source": "synthetic", "filters": ["bench/#"]}, separators=(",", ":")) + "\n")
for i in range(n):
    s = i % topics
    t = t0 + timedelta(seconds=seconds * i / n)
    payload = json.dumps({
        "timestamp_utc": t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "sensor_id": f"sensor{s}",
        "value": round(19.0 + (s % 300) / 100 + (i // topics % 7) * 0.01, 2),
        "unit": "Celsius",
        "metadata": {"location": "Bench", "sensor_type": "Flood", "firmware_version": "1.0.0"},
    }, separators=(",", ":"))
    out.write(json.dumps({"t": ts(t), "topic": f"bench/sensor{s}/temperature", "qos": 0,
                          "retain": False, "payload": payload}, separators=(",", ":")) + "\n")
out.write(json.dumps({"t": ts(t0 + timedelta(seconds=seconds)), "event": "end"},
                     separators=(",", ":")) + "\n")
