# Run by micropython (from benchmarks/micropython_tick.py): the firmware's main loop, from the
# built bundle, on a board of virtual time fed recorded frames; each pass is timed with ticks_us.
# argv: lib folder of the bundle, frames file (one frame per line). Prints one JSON line.
# Frames are read one per tick and times go into a fixed histogram (2 us bins up to 8 ms, 16 KB),
# so the harness holds little of the heap itself.
import gc
import json
import sys
import time
from array import array

sys.path.insert(0, sys.argv[1])
from stoneheat_fw.main_loop import MainLoop  # noqa: E402
from stoneheat_fw.controller import HeaterController  # noqa: E402

gc.collect()
base = gc.mem_alloc()


class Board:
    def __init__(self, frames):
        self.frames = frames
        self.frame = int(frames.readline())
        self.i = 0
        self.now = 0

    def ticks_ms(self):
        return self.now

    def read_frame(self):
        return self.frame

    def set_outputs(self, heater, relay):
        pass

    def read_console(self, n):
        return b""

    def write_console(self, data):
        return len(data)

    def wait_ms(self, ms):
        self.now = (self.now + ms) & ((1 << 30) - 1)

    def tick_done(self):
        self.i += 1
        line = self.frames.readline()
        self.frame = int(line) if line else None


BIN_US = 2
hist = array("L", bytearray(0))
for _ in range(4000):
    hist.append(0)
frames = open(sys.argv[2])
board = Board(frames)
ctrl = HeaterController()
ctrl.set_target_c(54.44)
ctrl.start()
loop = MainLoop(board, ctrl)
worst = 0
while board.frame is not None:
    t0 = time.ticks_us()
    loop.step()
    us = time.ticks_diff(time.ticks_us(), t0)
    hist[min(us // BIN_US, len(hist) - 1)] += 1
    worst = max(worst, us)
frames.close()
gc.collect()
live = gc.mem_alloc() - base


def quantile(q):
    need, seen = q * board.i, 0
    for b in range(len(hist)):
        seen += hist[b]
        if seen >= need:
            return b * BIN_US
    return worst


print(json.dumps({"ticks": board.i, "median_us": quantile(0.5), "p99_us": quantile(0.99),
                  "max_us": worst, "state": ctrl.state, "live_heap_bytes": live}))
