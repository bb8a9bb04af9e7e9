# Run under MicroPython (and CPython): the firmware's main loop on a board of virtual time, fed
# one sensor frame per tick and a stream of console bytes (noise and requests) in small chunks.
# Prints everything the console wrote, then the final state.
# argv: package parent, package name, scenario file (JSON: frames, input as hex, chunk size).
import sys
import json
from binascii import unhexlify

sys.path.insert(0, sys.argv[1])
MainLoop = __import__(sys.argv[2] + ".main_loop", None, None, ["x"]).MainLoop
HeaterController = __import__(sys.argv[2] + ".controller", None, None, ["x"]).HeaterController

with open(sys.argv[3]) as f:
    scenario = json.load(f)
data = unhexlify(scenario["input"])


class Board:
    def __init__(self):
        self.now = (1 << 30) - 3000  # the tick counter wraps in the middle
        self.frames = scenario["frames"]
        self.ticks = 0
        self.pos = 0
        self.outputs = None
        self.loop = None

    def ticks_ms(self):
        return self.now

    def read_frame(self):
        return self.frames[min(self.ticks, len(self.frames) - 1)]

    def set_outputs(self, heater, relay):
        self.outputs = (heater, relay)

    def read_console(self, n):
        n = min(n, scenario["chunk"])
        chunk = data[self.pos:self.pos + n]
        self.pos += len(chunk)
        return chunk

    def write_console(self, b):
        sys.stdout.write(bytes(b).decode())  # straight out: holding them costs device heap
        return len(b)

    def wait_ms(self, ms):
        self.now = (self.now + (1 if self.pos < len(data) else ms)) & ((1 << 30) - 1)

    def tick_done(self):
        self.ticks += 1
        if self.ticks >= len(self.frames):
            self.loop.stop()


board = Board()
ctrl = HeaterController()
loop = MainLoop(board, ctrl)
board.loop = loop
loop.run()
print(json.dumps({"state": ctrl.state, "target_c": ctrl.target_c, "outputs": list(board.outputs),
                  "ticks": loop.ticks}))
