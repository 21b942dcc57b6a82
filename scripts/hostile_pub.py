"""The hostile loads of issue #34 as a minimal MQTT 3.1.1 publisher (QoS 0, loopback only):

    scripts/hostile_pub.py PORT GEN N

GEN: discovery (N configs naming one state topic), bigdiscovery (N configs with 1 MB names),
longtopics (N topics of 60 kB), dbirth (N DBIRTHs of 4,000 null metrics, 1,000 devices a node),
arrays (N NBIRTHs of 2,000 Int8Arrays of 64). A last message on h34/done follows.
BENCHMARKS.md ("Hostile input, round three") shows how it was run against twinview."""
import socket, sys, json, struct

def rl(n):
    out = bytearray()
    while True:
        b = n % 128; n //= 128
        out.append(b | (0x80 if n else 0))
        if not n: return bytes(out)

def s(x): return struct.pack(">H", len(x)) + x

port = int(sys.argv[1]); gen = sys.argv[2]; n = int(sys.argv[3]) if len(sys.argv) > 3 else 0
c = socket.create_connection(("127.0.0.1", port))
body = s(b"MQTT") + bytes([4, 2]) + struct.pack(">H", 60) + s(b"h34pub")
c.sendall(bytes([0x10]) + rl(len(body)) + body)
c.recv(4)
def pub(topic, payload, retain=False):
    body = s(topic.encode()) + payload
    c.sendall(bytes([0x30 | (1 if retain else 0)]) + rl(len(body)) + body)

def varint(x):
    out=bytearray()
    while x>=0x80:
        out.append((x&0x7f)|0x80); x>>=7
    out.append(x); return bytes(out)
def fb(k,b): return varint(k<<3|2)+varint(len(b))+b
def fu(k,x): return varint(k<<3)+varint(x)

if gen == "discovery":
    for i in range(n):
        pub(f"homeassistant/sensor/s{i}/config", json.dumps({"name": f"s{i}", "state_topic": "home/one", "unit_of_measurement": "C"}).encode())
elif gen == "bigdiscovery":
    big = "x" * 1_000_000
    for i in range(n):
        pub(f"homeassistant/sensor/b{i}/config", json.dumps({"name": big, "state_topic": f"home/b{i}"}).encode())
elif gen == "longtopics":
    for i in range(n):
        pub(f"long/{i}/" + "t" * 60_000, b"21.5")
elif gen == "dbirth":
    # DBIRTHs of 4,000 short-named null metrics each, devices d0..: definitions only.
    ms = b"".join(fb(2, fb(1, f"m{j}".encode()) + fu(2, j) + fu(4, 10) + fu(7, 1)) for j in range(4000))
    for i in range(n):
        node = f"n{i // 1000}"
        pub(f"spBv1.0/g/DBIRTH/{node}/d{i % 1000}", fu(1, 1) + ms + fu(3, 0))
elif gen == "arrays":
    ms = b"".join(fb(2, fb(1, f"a{j}".encode()) + fu(2, j) + fu(4, 22) + fb(16, bytes([7]) * 64)) for j in range(2000))
    for i in range(n):
        pub(f"spBv1.0/g/NBIRTH/n{i}", fu(1, 1) + ms + fu(3, 0))
pub("h34/done", b"1")
c.sendall(bytes([0xe0, 0]))
c.close()
