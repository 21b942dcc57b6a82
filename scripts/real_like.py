#!/usr/bin/env python3
"""Single series shaped like the real ones twinview meets outside its simulated worlds, each
written as a CSV (`timestamp,value`) that scripts/csv_recording.py turns into a recording:

    scripts/real_like.py OUTDIR            # writes OUTDIR/<name>.csv for every shape below
    for f in OUTDIR/*.csv; do
      n=$(basename $f .csv)
      scripts/csv_recording.py real/$n < $f > OUTDIR/$n.jsonl
      twinview replay OUTDIR/$n.jsonl --headless --events OUTDIR/$n.events.jsonl > /dev/null
      echo "$n $(grep -c anomaly_start OUTDIR/$n.events.jsonl)"
    done

Healthy shapes (every episode on them is false):
  cpu        a CPU's utilisation every 5 min for 14 days, 40 % ± 2 with a daily swing, 1 % of
             readings 10 to 40 points up (short bursts caught by the sample)
  latency    a request latency every 5 min for 14 days, log-normal about 45 ms, 3 % of
             readings with an exponential tail added
  taxi       a count every 30 min for 75 days: a daily double hump, lower weekends
  tank       a tank's level every 2 min for 20 days: drained by day, refilled 02:00-02:30
  office     a room read to 0.5 °C every 5 min for 21 days, heated on weekdays 07-18
  fridge     a fridge every minute for 14 days: compressor cycling 3-5 °C, door openings
  pv         a solar inverter's power every minute for 14 days, broken clouds on some days
  outdoor    outdoor air every 10 min for 30 days: daily swing, weather fronts
  vib        a machine's vibration RMS every second for 6 h, running and idle in turns
  co2        an office's CO2 every 2 min for 21 days, occupied on weekdays 08-17
  wind       wind speed every minute for 14 days: Weibull gusts about a wandering mean
  soil       soil moisture every 10 min for 21 days: drying, watered each day at 06:00
  energy_today  a daily energy total every 5 min for 21 days, back to 0 at midnight
  serverroom a server room every 30 s for 7 days: its cooling's sawtooth, 21-23 °C
  rain       rain per 10 min for 30 days: mostly 0, showers, dry spells
  zhum       a Zigbee humidity in whole percent, on change (and hourly), for 14 days
  art_*      NAB's artificialNoAnomaly shapes (every 5 min for 14 days): a daily square
             wave, a daily shape without and with small noise, a flat line, uniform noise

Shapes with one labelled anomaly (NAB's artificialWithAnomaly kinds, every 5 min for 14
days, the anomaly on day 11, from 2014-04-11 00:00):
  jumpsup      its daily high at 140 rather than 80 for a day
  jumpsdown    its daily high at 50 rather than 80 for a day
  flatmiddle   flat at 50 from 05:00 to 20:00 that day
  nojump       that day never rises
  spikedensity a spike every ~1.7 days, then on 5 % of readings from day 11

Seeded: the same files every run.
"""
import math
import os
import random
import sys
from datetime import datetime, timedelta

if len(sys.argv) != 2:
    sys.exit(__doc__)
out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def write(name, rows):
    with open(os.path.join(out, name + ".csv"), "w") as f:
        f.write("timestamp,value\n")
        for t, v in rows:
            f.write(f"{t:%Y-%m-%d %H:%M:%S},{v}\n")


def every(t0, step, count):
    return [t0 + timedelta(seconds=step * i) for i in range(count)]


rng = random.Random(3)
t0 = datetime(2014, 7, 1)

# cpu
rows = []
for i, t in enumerate(every(t0, 300, 14 * 288)):
    v = 40 + 5 * math.sin(2 * math.pi * i / 288) + rng.gauss(0, 2)
    if rng.random() < 0.01:
        v += rng.uniform(10, 40)
    rows.append((t, f"{v:.3f}"))
write("cpu", rows)

# latency
rows = []
for t in every(t0, 300, 14 * 288):
    v = 45 * math.exp(rng.gauss(0, 0.15))
    if rng.random() < 0.03:
        v += rng.expovariate(1 / 30)
    rows.append((t, f"{v:.3f}"))
write("latency", rows)

# taxi
rows = []
for t in every(t0, 1800, 75 * 48):
    h = t.hour + t.minute / 60
    day = 0.5 - 0.5 * math.cos(2 * math.pi * (h - 4) / 24)
    rush = math.exp(-(((h - 19) / 2.5) ** 2)) * 0.4
    base = 3000 + 20000 * (day * 0.8 + rush)
    if t.weekday() >= 5:
        base = base * 0.85 + 2500 * math.exp(-(((h - 1) / 2) ** 2))
    rows.append((t, int(base * (1 + rng.gauss(0, 0.04)))))
write("taxi", rows)

# tank
rows, level = [], 90.0
for t in every(t0, 120, 20 * 720):
    h = t.hour + t.minute / 60
    if 2 <= h < 2.5:
        level = min(95.0, level + 2.2)
    else:
        # (Drawn about 28 % a day, refilled by up to 33 % a night: a healthy tank stays
        # between about 60 and 95 %.)
        level -= (0.01 if h < 6 or h > 22 else 0.045) * (1 + 0.3 * rng.random())
    rows.append((t, f"{level + rng.gauss(0, 0.15):.2f}"))
write("tank", rows)

# office
rows, temp = [], 17.0
for t in every(t0, 300, 21 * 288):
    h = t.hour + t.minute / 60
    target = 21.5 if t.weekday() < 5 and 7 <= h < 18 else 17.0
    temp += (target - temp) * 0.05 + rng.gauss(0, 0.05)
    rows.append((t, f"{round(temp * 2) / 2:.1f}"))
write("office", rows)

# fridge
rows, temp, on = [], 4.0, False
for t in every(t0, 60, 14 * 1440):
    if temp > 5.0:
        on = True
    if temp < 3.0:
        on = False
    temp += -0.08 if on else 0.04 * (1 + 0.2 * rng.random())
    if 7 <= t.hour < 23 and rng.random() < 0.004:
        temp += rng.uniform(0.8, 2.0)
    rows.append((t, f"{temp + rng.gauss(0, 0.03):.2f}"))
write("fridge", rows)

# pv
rows = []
cloudy = [rng.random() < 0.4 for _ in range(15)]
for i, t in enumerate(every(t0, 60, 14 * 1440)):
    h = t.hour + t.minute / 60
    sun = max(0.0, math.sin(math.pi * (h - 6.5) / 12)) if 6.5 < h < 18.5 else 0.0
    p = 3000 * sun**1.3
    if cloudy[i // 1440] and p > 0 and rng.random() < 0.3:
        p *= rng.uniform(0.2, 0.6)
    rows.append((t, int(p) if p > 0 else 0))
write("pv", rows)

# outdoor
rows, front, target = [], 0.0, 0.0
for i, t in enumerate(every(t0, 600, 30 * 144)):
    h = t.hour + t.minute / 60
    if i % 144 == 0 and rng.random() < 0.3:
        target = rng.uniform(-6, 6)
    front += (target - front) / 36
    rows.append((t, f"{5 + 3 * math.sin(2 * math.pi * (h - 9) / 24) + front + rng.gauss(0, 0.2):.1f}"))
write("outdoor", rows)

# vib
rows, running, switch = [], True, 1200
for i, t in enumerate(every(t0, 1, 6 * 3600)):
    if i >= switch:
        running, switch = not running, i + rng.randint(600, 1800)
    v = (0.25 if running else 0.02) + rng.gauss(0, 0.005 if running else 0.001)
    rows.append((t, f"{v:.5f}"))
write("vib", rows)

# NAB's artificial shapes
a0 = datetime(2014, 4, 1)
stamps = every(a0, 300, 4032)
odd = 10 * 288


def daily(i, high=80.0):
    p = i % 288
    if p < 72:
        return 20.0
    if p < 84:
        return 20 + (high - 20) * (p - 72) / 12
    if p < 216:
        return high
    if p < 228:
        return high - (high - 20) * (p - 216) / 12
    return 20.0


def shape(name, f):
    write(name, [(t, f(i)) for i, t in enumerate(stamps)])


noise = lambda: rng.uniform(-3, 3)  # noqa: E731
shape("art_square", lambda i: 80.0 if 72 <= i % 288 < 216 else 20.0)
shape("art_nonoise", lambda i: f"{daily(i):.6f}")
shape("art_smallnoise", lambda i: f"{daily(i) + noise():.6f}")
shape("art_flat", lambda i: "50.0")
shape("art_noisy", lambda i: f"{rng.uniform(0, 100):.6f}")
shape("jumpsup", lambda i: f"{daily(i, 140.0 if odd <= i < odd + 288 else 80.0) + noise():.3f}")
shape("jumpsdown", lambda i: f"{daily(i, 50.0 if odd <= i < odd + 288 else 80.0) + noise():.3f}")
shape("flatmiddle", lambda i: f"{(50.0 if odd + 60 <= i < odd + 240 else daily(i)) + noise():.3f}")
shape("nojump", lambda i: f"{(20.0 if odd <= i < odd + 288 else daily(i)) + noise():.3f}")


def density(i):
    p = 0.002 if i < odd else 0.05
    spike = rng.uniform(20, 40) if rng.random() < p else 0.0
    return f"{20 + rng.uniform(-1, 1) + spike:.3f}"


shape("spikedensity", density)

# More healthy shapes (their own generator, so the ones above stay as they were).
rng = random.Random(21)
m0 = datetime(2024, 3, 4)  # a Monday

rows, c = [], 420.0
for t in every(m0, 120, 21 * 720):
    occupied = t.weekday() < 5 and 8 <= t.hour + t.minute / 60 < 17
    c += ((1100 if occupied else 420) - c) * (0.03 if occupied else 0.02) + rng.gauss(0, 8)
    rows.append((t, int(round(c))))
write("co2", rows)

rows, mean = [], 4.0
for i, t in enumerate(every(m0, 60, 14 * 1440)):
    if i % 60 == 0:
        mean = max(0.5, mean + rng.gauss(0, 0.6))
    rows.append((t, f"{rng.weibullvariate(mean * 1.1, 2.0):.1f}"))
write("wind", rows)

rows, soil = [], 35.0
for t in every(m0, 600, 21 * 144):
    h = t.hour + t.minute / 60
    # (Three waterings of +2.3 a morning make up about a day's drying, 6.7: a healthy bed
    # stays within a few points of where it began.)
    soil += 2.3 if 6 <= h < 6.34 else -0.05 * (1.5 if 10 <= h < 17 else 0.7)
    rows.append((t, f"{soil + rng.gauss(0, 0.1):.1f}"))
write("soil", rows)

rows, energy = [], 0.0
for t in every(m0, 300, 21 * 288):
    if t.hour == 0 and t.minute == 0:
        energy = 0.0
    energy += 0.02 + (0.08 if 7 <= t.hour < 22 else 0.0) * rng.random()
    rows.append((t, f"{energy:.2f}"))
write("energy_today", rows)

rows, temp, cooling = [], 22.0, False
for t in every(m0, 30, 7 * 2880):
    cooling = True if temp > 23.0 else False if temp < 21.0 else cooling
    temp += -0.12 if cooling else 0.06
    rows.append((t, f"{temp + rng.gauss(0, 0.05):.2f}"))
write("serverroom", rows)

rows, shower = [], 0
for t in every(m0, 600, 30 * 144):
    if shower == 0 and rng.random() < 0.01:
        shower = rng.randint(3, 18)
    v = 0.0
    if shower > 0:
        v, shower = round(rng.expovariate(1 / 0.8), 1), shower - 1
    rows.append((t, f"{v:.1f}"))
write("rain", rows)

rows, last = [], None
for i, t in enumerate(every(m0, 60, 14 * 1440)):
    h = t.hour + t.minute / 60
    v = round(50 + 6 * math.sin(2 * math.pi * (h - 15) / 24)
              + 3 * math.sin(2 * math.pi * i / (1440 * 3.3)) + rng.gauss(0, 0.3))
    if v != last or i % 60 == 0:
        rows.append((t, v))
        last = v
write("zhum", rows)
