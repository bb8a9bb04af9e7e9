"""Running ``stoneheat sim serve`` in the foreground: announce the port, report changes, and
stop cleanly (outputs off, port file removed) on Ctrl-C or SIGTERM."""

import os
import signal

import click

from .firmware.units import c_to_f
from .sim.serve import make_heater


def _write_atomically(path, text):
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)  # a reader never sees half a path


def _clock(seconds):
    s = int(seconds)
    return "%d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60)


THERMOMETER_EVERY_S = 10.0  # a reference thermometer line this often, in real seconds


def _change_reporter(heater, changes=True, thermometer=False):
    """A tick hook that prints a line whenever the state, the fault or the target changes,
    and with ``thermometer`` what a reference thermometer in the bath reads (the simulated true
    water) every ``THERMOMETER_EVERY_S`` of real time: what `stoneheat calibrate` asks for."""
    last = [None]
    every_s = THERMOMETER_EVERY_S * heater.board.clock.speed  # in simulated seconds
    shown_s = [None]

    def report():
        s = heater.status()
        now = (s["state"], s["fault"], s["target_c"])
        if thermometer and (shown_s[0] is None or s["sim_s"] >= shown_s[0] + every_s):
            shown_s[0] = s["sim_s"]
            water = heater.board.plant.water_c
            click.echo("[sim %s] reference thermometer: %.2f C (%.2f F), the true water" % (
                _clock(s["sim_s"]), water, c_to_f(water)))
        if now == last[0] or not changes:
            return
        last[0] = now
        temp = "-" if s["temp_c"] is None else "%.1f C (%.1f F)" % (s["temp_c"], c_to_f(s["temp_c"]))
        line = "[sim %s] %-7s reading %s, target %.1f C" % (
            _clock(s["sim_s"]), s["state"], temp, s["target_c"])
        if s["fault"]:
            line += ", fault %s" % s["fault"]
        click.echo(line)

    return report


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def serve_simulated_heater(speed, port_file, seed, fault, quiet, runtime="cpython",
                           probe_bias_c=0.0, state_dir=None, uptime_ms=0, thermometer=False):
    heater = make_heater(runtime, speed=speed, seed=seed, fault=fault, probe_bias_c=probe_bias_c,
                         state_dir=state_dir, uptime_ms=uptime_ms)
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        heater.first_tick()  # the first tick: the device is up before anyone is told the port
        if port_file:  # first, so that whoever reads the line can read the file too
            _write_atomically(port_file, heater.path + "\n")
        click.echo("port: %s" % heater.path)
        if not quiet:
            click.echo("simulated heater (firmware on %s) running at %gx real time; Ctrl-C "
                       "stops it" % (heater.runtime, speed))
        if not quiet or thermometer:
            heater.board.on_tick = _change_reporter(heater, not quiet, thermometer)
        heater.run()
    except KeyboardInterrupt:
        pass
    finally:
        heater.shutdown()
        signal.signal(signal.SIGTERM, previous)
        if port_file:
            try:
                os.remove(port_file)
            except OSError:
                pass
    if heater.stopped_by:
        click.echo("the firmware stopped (%s): heater and safety relay off" % heater.stopped_by)
    elif not quiet:
        click.echo("stopped: heater off")
