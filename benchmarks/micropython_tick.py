"""The firmware on MicroPython's terms: per-tick time and heap under the real interpreter, the
bundle's size, and how fast software in the loop runs.

    python benchmarks/micropython_tick.py

1. Builds the bundle (`stoneheat firmware build`): its size.
2. Runs the main loop from the bundle's .mpy files under `micropython` through a 30-minute
   heat-up (7200 ticks of recorded frames): time of each loop pass that ticks (median, p99),
   the heap still live at the end, and the smallest `-X heapsize` that completes the run.
3. `stoneheat sim run heatup --runtime micropython`: simulated seconds per wall second.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from stoneheat.firmware_bundle import build_bundle
from stoneheat.sim.micropython_runtime import find_tool
from stoneheat.sim.plant import BathPlant
from stoneheat.sim.sensor import SimulatedMax31855

HERE = Path(__file__).resolve().parent


def recorded_frames(n=7200):
    """Frames of a heat-up under the firmware in process, to replay under MicroPython."""
    from stoneheat.firmware.controller import HeaterController
    from stoneheat.firmware.ticks import ticks_add

    plant, chip, ctrl = BathPlant(), SimulatedMax31855(seed=0), HeaterController()
    ctrl.set_target_c(54.44)
    ctrl.start()
    frames, now = [], 0
    for _ in range(n):
        frame = chip.frame(plant.probe_c, 25.0)
        frames.append(frame)
        plant.step(ctrl.tick(now, frame) and ctrl.relay_on)
        now = ticks_add(now, 250)
    return frames


def run_ticks(lib, frames_file, heap):
    proc = subprocess.run([find_tool("micropython"), "-X", "heapsize=%s" % heap,
                           str(HERE / "micropython_tick_mp.py"), str(lib), str(frames_file)],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def smallest_heap_kb(lib, frames_file, low=16, high=512):
    """Binary search of the smallest heap (in KB) that completes the run."""
    while low < high:
        mid = (low + high) // 2
        if run_ticks(lib, frames_file, "%dK" % mid) is not None:
            high = mid
        else:
            low = mid + 1
    return low


def main():
    with tempfile.TemporaryDirectory() as tmp:
        manifest = build_bundle(Path(tmp) / "bundle")
        lib = Path(tmp) / "bundle" / "lib"
        frames_file = Path(tmp) / "frames.txt"
        frames_file.write_text("".join("%d\n" % f for f in recorded_frames()))
        runs = [run_ticks(lib, frames_file, "512K") for _ in range(5)]
        runs.sort(key=lambda r: r["median_us"])
        median_run = runs[len(runs) // 2]
        heap_kb = smallest_heap_kb(lib, frames_file)
    sil = json.loads(subprocess.run(
        [sys.executable, "-m", "stoneheat", "sim", "run", "heatup", "--runtime", "micropython",
         "--json"], capture_output=True, text=True, check=True).stdout)
    print(json.dumps({
        "bundle": {"files": len(manifest["files"]), "bytes": manifest["total_bytes"],
                   "mpy_bytes": sum(f["size"] for f in manifest["files"] if f["path"].endswith(".mpy"))},
        "tick_under_micropython": dict(median_run, runs=len(runs)),
        "smallest_heap_kb": heap_kb,
        "software_in_the_loop": {"scenario": "heatup", "sim_s": sil["sim_s"], "wall_s": sil["wall_s"],
                                 "sim_s_per_wall_s": round(sil["sim_s"] / sil["wall_s"])},
    }, indent=2))


if __name__ == "__main__":
    main()
