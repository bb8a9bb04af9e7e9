# Run under MicroPython (and CPython): replay a trace of frames and commands through the
# firmware's controller, one JSON line per step in and out (streamed, so it fits a device-sized
# heap). argv: package parent, package name, trace file.
import sys
import json

sys.path.insert(0, sys.argv[1])
pkg = __import__(sys.argv[2] + ".controller", None, None, ["HeaterController"])
HeaterController = pkg.HeaterController

ctrl = HeaterController()
trace = open(sys.argv[3])
for line in trace:
    step = json.loads(line)
    kind = step[0]
    if kind == "tick":
        on = ctrl.tick(step[1], step[2])
        print(json.dumps([int(on), int(ctrl.relay_on), ctrl.state, ctrl.fault, ctrl.temp_c, ctrl.duty]))
    else:
        try:
            if kind == "start":
                ctrl.start()
            elif kind == "stop":
                ctrl.stop()
            elif kind == "reset":
                ctrl.reset_fault()
            elif kind == "target":
                ctrl.set_target_c(float(step[1]))
            print(json.dumps(["ok", ctrl.state, ctrl.target_c]))
        except Exception as e:
            print(json.dumps([getattr(e, "code", type(e).__name__), ctrl.state, ctrl.target_c]))
trace.close()
