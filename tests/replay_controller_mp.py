# Run under MicroPython (and CPython): replay a trace of frames and console commands through the
# firmware's controller, one JSON line per step in and out (streamed, so it fits a device-sized
# heap). Commands go through the firmware's own console, the one dispatcher.
# argv: package parent, package name, trace file.
import sys
import json

sys.path.insert(0, sys.argv[1])
HeaterController = __import__(sys.argv[2] + ".controller", None, None, ["x"]).HeaterController
Console = __import__(sys.argv[2] + ".console", None, None, ["x"]).Console

ctrl = HeaterController()
console = Console(ctrl)
trace = open(sys.argv[3])
for line in trace:
    step = json.loads(line)
    if step[0] == "tick":
        on = ctrl.tick(step[1], step[2])
        print(json.dumps([int(on), int(ctrl.relay_on), ctrl.state, ctrl.fault, ctrl.temp_c, ctrl.duty]))
    else:
        reply = console.handle_line(" ".join([str(w) for w in step]).encode())
        outcome = "ok" if reply.startswith("ok ") else reply.split(" ")[1]
        print(json.dumps([outcome, ctrl.state, ctrl.target_c]))
trace.close()
