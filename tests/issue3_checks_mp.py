# Run under MicroPython: the checks a plain replay does not reach (a second probe, auto-off,
# the heat watch), printing one line per check. argv: package parent, package name.
import sys

sys.path.insert(0, sys.argv[1])
ctl = __import__(sys.argv[2] + ".controller", None, None, ["HeaterController"])
hw = __import__(sys.argv[2] + ".heat_watch", None, None, ["HeatWatch"])


def frame(t_c, cj_c=25.0):
    # A MAX31855 frame for a chip reading t_c (linear; near enough for these checks).
    return ((int(round(t_c * 4)) & 0x3FFF) << 18) | ((int(round(cj_c * 16)) & 0xFFF) << 4)


c = ctl.HeaterController(second_sensor="max31855")
c.set_target_c(40.0)
now = 0
for i in range(40):
    c.tick(now, frame(40.0 + 0.25 * (i % 2)), frame(40.0 + 0.25 * (i % 2)))
    now += 250
c.start()
for i in range(8):
    c.tick(now, frame(40.0), frame(44.0))
    now += 250
print("disagree", c.fault, c.relay_on)

c = ctl.HeaterController()
c.set_target_c(40.0)
c.update_settings({"auto_off_h": 0.5})
c.start()
for i in range(4 * 1900):
    c.tick(now, frame(40.0 + 0.25 * (i % 2)))
    now += 250
print("auto_off", c.state, c.stopped_by, c.fault)

w = hw.HeatWatch()
code = None
for i in range(4 * 200):
    code = w.update(250, 54.4, False) or code
for i in range(4 * 60):
    code = w.update(250, 54.4 + 0.042 * i / 4, False) or code
print("welded", code)
