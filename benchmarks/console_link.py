"""The serial link to a simulated heater on a pseudo-terminal, at real time (--speed 1):

1. ping round trip with the host's link (median, p99, max);
2. wall time of `stoneheat status` as a whole process (median of N runs);
3. how late control ticks come, with the console idle and then flooded by noise and requests
   as fast as the line takes them (p50, p99, max from the firmware's own tick histogram).

    python benchmarks/console_link.py [--pings 2000] [--runs 20] [--seconds 30]
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import serial

from stoneheat.firmware.protocol import encode_request
from stoneheat.link import HeaterLink


def start_serve(tmp):
    port_file = os.path.join(tmp, "port-%d" % random.randrange(1 << 30))
    proc = subprocess.Popen([sys.executable, "-m", "stoneheat", "sim", "serve", "--speed", "1",
                             "--quiet", "--port-file", port_file],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("port: "):
        raise SystemExit("sim serve did not start: %r" % line)
    return proc, line.split(": ", 1)[1].strip()


def stop_serve(proc):
    proc.terminate()
    proc.wait(timeout=10)


def quantile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_ping(port, n):
    times = []
    with HeaterLink(port) as link:
        link.request("ping")
        for _ in range(n):
            t0 = time.perf_counter()
            link.request("ping")
            times.append((time.perf_counter() - t0) * 1000.0)
    return {"pings": n, "median_ms": round(statistics.median(times), 3),
            "p99_ms": round(quantile(times, 0.99), 3), "max_ms": round(max(times), 3)}


def bench_status_process(port, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "stoneheat", "--port", port, "status",
                               "--json"], capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise SystemExit("status failed: %s" % proc.stderr)
    return {"runs": runs, "median_s": round(statistics.median(times), 3),
            "min_s": round(min(times), 3), "max_s": round(max(times), 3)}


def _flood(port, seconds):
    """Write noise and requests as fast as the line takes them; read and drop the replies."""
    rng = random.Random(1)
    garbage = bytes(rng.randrange(256) for _ in range(4096))
    requests = b"".join([b"status\n", encode_request(1, "ping"), b"x" * 300 + b"\n",
                         b"target nan\n", b"#9 start\n", b"config get\n", b"history\n"])
    sent = [0]
    stop = time.monotonic() + seconds
    line = serial.Serial(port, timeout=0)

    def drain():
        while time.monotonic() < stop:
            line.read(65536)
            time.sleep(0.001)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    line.write_timeout = 0.5
    while time.monotonic() < stop:
        try:
            sent[0] += line.write(garbage[:rng.randrange(1, 4096)] + requests)
        except serial.SerialTimeoutException:
            pass
    reader.join()
    line.close()
    return sent[0]


def bench_jitter(tmp, seconds, flood):
    proc, port = start_serve(tmp)
    try:
        sent = _flood(port, seconds) if flood else time.sleep(seconds) or 0
        with HeaterLink(port, timeout_s=2.0) as link:
            info = link.request("info")
    finally:
        stop_serve(proc)
    loop = info["loop"]
    return {"console": "flooded" if flood else "idle", "seconds": seconds, "bytes_sent": sent,
            "requests_answered": info["console"]["requests"], "ticks": loop["ticks"],
            "late_p50_ms": loop["late_p50_ms"], "late_p99_ms": loop["late_p99_ms"],
            "late_max_ms": loop["late_max_ms"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pings", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        proc, port = start_serve(tmp)
        try:
            ping = bench_ping(port, args.pings)
            status = bench_status_process(port, args.runs)
        finally:
            stop_serve(proc)
        idle = bench_jitter(tmp, args.seconds, flood=False)
        flooded = bench_jitter(tmp, args.seconds, flood=True)
    print(json.dumps({"ping": ping, "status_process": status, "jitter": [idle, flooded]},
                     indent=2))


if __name__ == "__main__":
    main()
