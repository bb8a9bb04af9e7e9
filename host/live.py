"""Following the heater over time: ``watch`` (a live line with the trend) and ``wait-ready``."""

import sys
import time
from collections import deque
from datetime import datetime

import click

from . import error_codes as cli_codes
from . import display
from .firmware.console import round_or_none
from .link import LinkError
from .ports import PortError
from .session import (EXIT_FAULT, EXIT_INTERRUPTED, EXIT_REFUSED, EXIT_TIMEOUT, Failure,
                      device_command, emit_json)

SPARKS = "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588"
TREND_WINDOW_S = 60.0
MISSED_POLLS_ALLOWED = 3  # a few lost replies do not end a long wait


class Trend:
    """The last minute of readings: how fast the water moves, and a sparkline of it."""

    def __init__(self, window_s=TREND_WINDOW_S, points=24):
        self.window_s = window_s
        self.samples = deque()
        self.recent = deque(maxlen=points)

    def add(self, t_s, temp_c):
        if temp_c is None:
            return
        self.samples.append((t_s, temp_c))
        self.recent.append(temp_c)
        # The last minute, but at least three readings: polled every 2 s, a simulated heater
        # at 60x moves two minutes between readings.
        while len(self.samples) > 3 and t_s - self.samples[0][0] > self.window_s:
            self.samples.popleft()

    def c_per_min(self):
        """Least-squares slope over the window, once it spans 10 s or more."""
        if len(self.samples) < 2 or self.samples[-1][0] - self.samples[0][0] < 10.0:
            return None
        n = len(self.samples)
        mt = sum(t for t, _ in self.samples) / n
        mc = sum(c for _, c in self.samples) / n
        var = sum((t - mt) ** 2 for t, _ in self.samples)
        cov = sum((t - mt) * (c - mc) for t, c in self.samples)
        return 60.0 * cov / var

    def sparkline(self):
        if not self.recent:
            return ""
        low, high = min(self.recent), max(self.recent)
        span = max(high - low, 1.0)  # sensor noise alone does not fill the scale
        return "".join(SPARKS[min(7, int((c - low) / span * 7.999))] for c in self.recent)


class _Poller:
    """Status every ``interval_s``, tolerating a few lost replies in a row; with
    ``keep_trying``, for ever: the port is opened afresh each time, so a heater unplugged and
    plugged in again (or switched off and on) is followed again."""

    def __init__(self, session, interval_s, keep_trying=False):
        self.session = session
        self.interval_s = interval_s
        self.keep_trying = keep_trying
        self.answered = False  # a heater never reached is an error at once, not a wait
        self.missed = 0
        self.t0 = time.monotonic()

    def poll(self):
        try:
            s = self.session.ask("status")
        except (LinkError, PortError) as e:
            self.session.close()  # a port gone away is opened again at the next poll
            self.missed += 1
            if self.keep_trying and self.answered:
                if self.missed == 1:
                    click.echo("No answer from the heater (%s); still trying: plug it in "
                               "again, or Ctrl-C." % e, err=True)
                return None
            if self.missed > MISSED_POLLS_ALLOWED:
                raise
            return None
        if self.missed and self.keep_trying and self.answered:
            click.echo("The heater answers again.", err=True)
        self.missed = 0
        self.answered = True
        return s

    def elapsed_s(self):
        return time.monotonic() - self.t0

    def sleep(self):
        time.sleep(self.interval_s)


def _heater_time_s(s, poller):
    """When a reading was taken, on the heater's own clock (its uptime): a trend per minute is
    per minute of the bath, also on a simulated heater that runs faster than the host."""
    up = s.get("uptime_s")
    return float(up) if isinstance(up, (int, float)) else poller.elapsed_s()


def _live_line(s, trend, unit, advise=True):
    line = "%s  %-7s water %s  %s  target %s  heater %3d %%  %s" % (
        datetime.now().strftime("%H:%M:%S"), display.state_word(s), display.temp(s["temp_c"], unit, both=False),
        display.rate(trend.c_per_min(), unit), display.temp(s["target_c"], unit, both=False),
        round(100 * (s.get("heater_duty") or 0.0)), trend.sparkline())
    if s["state"] == "FAULT" and advise:
        line += "\n  " + display.fault_message(s["fault"])
    return line


@click.command("watch")
@click.option("--interval", type=click.FloatRange(0.1, 3600), default=2.0, show_default=True,
              help="Seconds between readings.")
@click.option("--count", type=click.IntRange(0), default=0,
              help="Stop after this many readings (default: until Ctrl-C).")
@device_command(json_help="Print one JSON object per reading, a line each.")
def watch_cmd(session, as_json, interval, count):
    """Follow the bath live: temperature, its trend per minute, target and heater power.

    One line per reading (with --json, one JSON object per line). A heater that stops
    answering (unplugged, switched off) is waited for and followed again. Ctrl-C stops watching
    and exits 0, the end of every watch without --count (`wait-ready` exits 130: its wait did
    not end); the heater carries on.
    """
    poller, trend = _Poller(session, interval, keep_trying=True), Trend()
    shown = 0
    advised = None  # the fault whose advice was shown: once, not every reading
    try:
        while True:
            s = poller.poll()
            if s is not None:
                trend.add(_heater_time_s(s, poller), s["temp_c"])
                shown += 1
                if as_json:
                    s = dict(s, rate_c_per_min=round_or_none(trend.c_per_min(), 3))
                    emit_json(s)
                else:
                    click.echo(_live_line(s, trend, session.unit, s.get("fault") != advised))
                    advised = s.get("fault")
            if count and shown >= count:
                return
            poller.sleep()
    except KeyboardInterrupt:
        if not as_json:
            click.echo("Stopped watching; the heater carries on (`stoneheat stop` switches it "
                       "off).", err=True)
        return


@click.command("wait-ready")
@click.option("--timeout", type=click.FloatRange(0), default=3600.0, show_default=True,
              help="Give up after this many seconds (0: wait for ever).")
@click.option("--interval", type=click.FloatRange(0.1, 600), default=2.0, show_default=True,
              help="Seconds between readings.")
@device_command
def wait_ready_cmd(session, as_json, timeout, interval):
    """Wait until the bath is ready, showing progress; exit 0 when it is.

    Exits 4 if the heater faults, 5 on timeout, 1 if it is not heating at all, 130 on Ctrl-C
    (the heater carries on).
    """
    try:
        _wait_ready(session, as_json, timeout, interval)
    except KeyboardInterrupt:
        if sys.stderr.isatty():
            click.echo("", err=True)
        raise Failure("Stopped waiting; the heater carries on (`stoneheat stop` switches it "
                      "off).", EXIT_INTERRUPTED, cli_codes.INTERRUPTED, as_json)


def _wait_ready(session, as_json, timeout, interval):
    poller, trend = _Poller(session, interval), Trend()
    show_progress = sys.stderr.isatty()
    last_note = -1e9
    s = None
    while True:
        s = poller.poll()
        if s is not None:
            trend.add(_heater_time_s(s, poller), s["temp_c"])
            state = s["state"]
            if state == "READY":
                if show_progress:
                    click.echo("", err=True)
                if as_json:
                    emit_json(dict(s, waited_s=round(poller.elapsed_s(), 1)))
                else:
                    click.echo("Ready: water %s, target %s." % (
                        display.temp(s["temp_c"], session.unit),
                        display.temp(s["target_c"], session.unit, both=False)))
                return
            if state == "FAULT":
                raise Failure("The heater stopped with fault %s: %s" % (
                    s["fault"], display.fault_message(s["fault"])), EXIT_FAULT, s["fault"], as_json)
            if state == "IDLE":
                raise Failure("The heater is not heating. Run `stoneheat start` (or `stoneheat set "
                              "130F`) first.", EXIT_REFUSED, cli_codes.NOT_HEATING, as_json)
            note = "%s: water %s, %s, target %s" % (
                "cooling" if s.get("cooling") else "waiting",
                display.temp(s["temp_c"], session.unit, both=False),
                display.rate(trend.c_per_min(), session.unit),
                display.temp(s["target_c"], session.unit, both=False))
            eta = display.ready_in(s.get("ready_in_s"))
            if eta:
                note += ", " + eta
            if show_progress:
                click.echo("\r\x1b[K" + note, err=True, nl=False)
            elif poller.elapsed_s() - last_note >= 60.0:  # a log still sees it is alive
                click.echo(note, err=True)
                last_note = poller.elapsed_s()
        if timeout and poller.elapsed_s() >= timeout:
            if show_progress:
                click.echo("", err=True)
            raise Failure("Not ready after %%g s; the heater is still %s." % (
                "cooling" if s and s.get("cooling") else "heating") % timeout,
                          EXIT_TIMEOUT, cli_codes.TIMEOUT, as_json)
        poller.sleep()


COMMANDS = (watch_cmd, wait_ready_cmd)
