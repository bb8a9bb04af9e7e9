"""The heater controller: one tick is read -> decode -> calibrate -> check -> filter -> PID -> output.

Pure: it is handed the time (wrapping ms ticks) and the sensor's raw frame, and answers whether
the SSR and the safety relay should be on. The board layer (ESP32 or simulated) does the I/O.

Safety in this module: a reading at or above the cutoff latches FAULT with both outputs off at
once. A frame that cannot be trusted turns the heater off for that period; a run or a rate of
them, or a frozen reading, latches FAULT (``sensor_health.py``). Only ``reset_fault`` while the
water is well below the cutoff clears a latch. Any exception inside a tick is itself a fault,
so a bug cannot leave the heater on. Every trip and reset goes into ``events``.
"""

from . import faults
from .heat_watch import HeatWatch
from .heater_output import TimeProportioningOutput
from .limits import (
    PLAUSIBLE_BOARD_MAX_C,
    PLAUSIBLE_BOARD_MIN_C,
    PLAUSIBLE_WATER_MAX_C,
    PLAUSIBLE_WATER_MIN_C,
    RESET_BELOW_CUTOFF_C,
    DEFAULT_TARGET_C,
    FASTEST_LOW_BATH_C_S,
    LEAK_COAST_C,
    LEAK_LAG_FLOOR_S,
    LEAK_LAG_SHARE,
    LEAK_LAG_UNKNOWN_S,
    WATCH_MARGIN_C,
)
from .errors import CommandError, SettingError
from .bath_model import BathModel
from .event_log import TUNE_ABORTED, TUNE_DONE, EventLog
from .pid import PID
from .sensor_health import SensorHealth
from .settings import Settings, declared_bath
from .settings_store import valid_bath
from .thermocouple import (
    FAULT_OPEN,
    FAULT_SHORT_GND,
    FAULT_SHORT_VCC,
    decode_max31855,
    decode_max6675,
    linearize_k,
)
from .ticks import ticks_diff
from .units import c_to_f

IDLE = "IDLE"
HEATING = "HEATING"
READY = "READY"
TUNING = "TUNING"  # autotune's relay experiment, with every safety check active
FAULT = "FAULT"
# Every state, the one list: the history ring stores a state as its index here.
STATES = (IDLE, HEATING, READY, TUNING, FAULT)

MAX31855 = "max31855"
MAX6675 = "max6675"

INTERNAL_ERROR = faults.INTERNAL_ERROR

# The MAX6675 reports no cold junction; linearising around a typical board temperature leaves
# under 0.02 C of error for a board between 15 and 35 C.
_MAX6675_ASSUMED_CJ_C = 25.0


def read_max31855(frame):
    """``(hot_c, cj_c, fault_code)`` from a MAX31855 frame; ``hot_c`` is None on a fault."""
    if not 0 <= frame <= 0xFFFFFFFF:  # not 32 bits: the board layer is broken
        return None, None, faults.SENSOR_FRAME
    if frame == 0xFFFFFFFF:
        return None, None, faults.SENSOR_BUS_HIGH
    if frame == 0:
        # MISO stuck low decodes as 0.00 C with no fault bit set: never a real reading, since
        # the cold junction would be exactly 0.0000 C as well.
        return None, None, faults.SENSOR_BUS_LOW
    tc_c, cj_c, bits = decode_max31855(frame)
    if bits & FAULT_OPEN:
        return None, cj_c, faults.TC_OPEN
    if bits & FAULT_SHORT_GND:
        return None, cj_c, faults.TC_SHORT_GND
    if bits & FAULT_SHORT_VCC:
        return None, cj_c, faults.TC_SHORT_VCC
    if frame & 0x00030008:  # D16 fault flag without a fault bit, or a reserved bit set
        return None, cj_c, faults.SENSOR_FRAME
    if not (PLAUSIBLE_BOARD_MIN_C <= cj_c <= PLAUSIBLE_BOARD_MAX_C):
        return None, cj_c, faults.COLD_JUNCTION_RANGE
    return linearize_k(tc_c, cj_c), cj_c, None


def read_max6675(frame):
    """``(hot_c, None, fault_code)`` from a MAX6675 frame."""
    if not 0 <= frame <= 0xFFFF:
        return None, None, faults.SENSOR_FRAME
    if frame == 0xFFFF:
        return None, None, faults.SENSOR_BUS_HIGH
    if frame == 0:
        return None, None, faults.SENSOR_BUS_LOW
    if frame & 0x8002:  # D15 (dummy sign) and D1 (device id) always read 0
        return None, None, faults.SENSOR_FRAME
    tc_c, bits = decode_max6675(frame)
    if bits:
        return None, None, faults.TC_OPEN
    return linearize_k(tc_c, _MAX6675_ASSUMED_CJ_C), None, None


_READERS = {MAX31855: read_max31855, MAX6675: read_max6675}
# A heat-up's slope is remembered at most this many times steeper than the one before: a day
# of mains +10 % after one of -10 % is 1.5x, and heat poured in unseen may be more.
MEMORY_RISE = 1.25


def _cap_share(water_c, limit, span):
    """The power cap's share of full power: (limit - water) / span, within 0..1 (a NaN: 0)."""
    cap = (limit - water_c) / span
    if cap >= 1.0:
        return 1.0
    return cap if cap > 0.0 else 0.0


class HeaterController:
    def __init__(self, settings=None, sensor=MAX31855, second_sensor=None, events=None):
        """``second_sensor``: the chip of an optional redundant probe, read each tick too.
        ``events``: the heater's ``EventLog`` (by default one in memory only)."""
        self.settings = settings if settings is not None else Settings()
        if sensor not in _READERS or (second_sensor is not None and second_sensor not in _READERS):
            raise ValueError("unknown sensor %r" % (sensor if sensor not in _READERS else second_sensor,))
        self._read = _READERS[sensor]
        self._read2 = _READERS[second_sensor] if second_sensor is not None else None
        self.sensor = sensor
        self.second_sensor = second_sensor
        self.reading2_c = None
        self.stopped_by = None  # AUTO_OFF when the heater went idle by itself
        # What an earlier heat-up of this bath showed, (slope C/s, lag s), kept on the flash
        # (``remember_bath``); ``learnt_bath`` is a new one (or False: forget it) for the main
        # loop to store.
        self.bath_memory = None
        self.learnt_bath = None
        self._learnt = False  # this heat-up has given its slope (once: the cap must not ratchet)
        self._idle_timer_ms = 0
        self._disagree_reads = 0
        self._dt_ms = 0
        self.state = IDLE
        self.target_c = DEFAULT_TARGET_C
        self.temp_c = None  # filtered, calibrated water temperature
        self.reading_c = None  # last trusted calibrated reading, unfiltered
        self.raw_c = None  # the same before calibration: what a technician calibrates against
        self.cj_c = None
        self.duty = 0.0
        self.heater_on = False
        self.relay_on = False
        self._rest = False  # since heat poured in: the relay open while no heat is wanted
        self.fault = None
        self.fault_value = None
        self.fault_ms = None
        self.last_frame = None
        self._reading_ok = False
        self._last_ms = None
        # Milliseconds since boot, summed tick by tick: unlike a tick count it never wraps, so
        # a deadline kept on it (an unlock, a write's rate limit) cannot go stale over months.
        # (On a 32-bit port it becomes a long int after 12.4 days: a few bytes per tick.)
        self.uptime_ms = 0
        self._in_band_ms = 0
        self.pid = None
        self.model = BathModel()  # identified at each heat-up
        self.tune = None  # the last autotune (running, done or aborted)
        self.output = None
        self.health = None
        self.health2 = None
        self.watch = None
        self._watch_settings = None
        self.events = events if events is not None else EventLog()  # trips, resets, ...
        self._apply_settings()

    def update_settings(self, changes):
        """Validate and apply settings (all or nothing); gains change without a bump."""
        self.settings.update(changes)
        self._apply_settings()

    def _apply_settings(self):
        # Copied into attributes once, so a tick does no dictionary look-ups.
        s = self.settings
        if self.watch is not None and (s["cal_gain"], s["cal_offset_c"]) != (
                self._cal_gain, self._cal_offset_c):
            # A new calibration moves every reading at once: the heat watch's memory of the
            # bath moves with it, or a step up at hold would look like a welded SSR.
            old_gain, old_offset = self._cal_gain, self._cal_offset_c
            gain, offset = s["cal_gain"], s["cal_offset_c"]
            self.watch.recalibrate(lambda c: (c - old_offset) / old_gain * gain + offset)
            if self.temp_c is not None:
                self.temp_c = (self.temp_c - old_offset) / old_gain * gain + offset
        self._cal_gain = s["cal_gain"]
        self._cal_offset_c = s["cal_offset_c"]
        self._cutoff_c = s["cutoff_c"]
        self._filter_s = s["filter_s"]
        self._ready_band_c = s["ready_band_c"]
        self._ready_hold_ms = s["ready_hold_s"] * 1000
        self._adapt = s["adapt"] >= 0.5
        kp, ti_s, td_s, filter_s = self._gains()
        if self.pid is None:
            self.pid = PID(kp, ti_s, td_s, s["setpoint_weight"], filter_s)
        else:
            self.pid.derivative_filter_s = filter_s
            self.pid.set_gains(kp, ti_s, td_s, s["setpoint_weight"])
        window_ms, pulse_ms = int(s["window_s"] * 1000), int(s["min_pulse_s"] * 1000)
        if self.output is None or (self.output.window_ms, self.output.min_pulse_ms) != (window_ms, pulse_ms):
            self.output = TimeProportioningOutput(window_ms, pulse_ms)
        bad_reads, frozen_ms = int(s["sensor_bad_reads"]), int(s["frozen_s"] * 1000)
        if self.health is None:
            self.health = SensorHealth(bad_reads, frozen_ms)
            self.health2 = SensorHealth(bad_reads, frozen_ms)
        else:
            for h in (self.health, self.health2):
                h.in_a_row, h.frozen_ms = bad_reads, frozen_ms
        self._sensor_bad_reads = bad_reads
        self._disagree_c = s["sensor_disagree_c"]
        self._auto_off_ms = s["auto_off_h"] * 3600000
        watch = (s["watch_s"], s["watch_rise_c"], s["weld_base_c"], s["coast_s"],
                 s["max_heat_rate_c_s"], s["cutoff_c"], s["level_test_min"] * 60)
        if self.watch is None or watch != self._watch_settings:
            # A new watch forgets its history: only when its own thresholds change.
            self.watch = HeatWatch(*watch)
            self._watch_settings = watch
        self.watch.remember(self._known_bath())  # a bath declared now judges this heat-up
        if not (s["setpoint_min_c"] <= self.target_c <= s["setpoint_max_c"]):
            # A narrowed range never leaves the target outside it: the nearest allowed value.
            self.target_c = min(max(self.target_c, s["setpoint_min_c"]), s["setpoint_max_c"])

    def _gains(self):
        """(kp, ti_s, td_s, derivative_filter_s): as set, or scaled to the identified bath."""
        s = self.settings
        gains = (s["kp"], s["ti_s"], s["td_s"], s["derivative_filter_s"])
        if self._adapt:
            return self.model.scheduled_gains(*gains)
        return gains

    def trusted_temp_c(self):
        """The filtered water temperature, or None while the last read was not a valid one
        (an open probe, a bus fault): what status and the history show, never a stale value."""
        return self.temp_c if self._reading_ok else None

    def cooling(self):
        """Heating towards a target the water is already above: the heater stays off while the
        bath cools to it, which takes far longer than heating (a bath loses a few watts per
        degree), and the stones meanwhile are hotter than asked for."""
        # HEATING only, as docs/protocol.md says: READY holds within twice the band (its
        # hysteresis), and a new target that far off ends READY at once (set_target_c).
        return (self.state == HEATING and self._reading_ok
                and self.temp_c is not None
                and self.temp_c > self.target_c + self._ready_band_c)

    def ready_in_s(self):
        """Seconds until READY from the identified bath; 0 when ready, None when unknown or
        when the heater is not heating towards a target."""
        if self.state == READY:
            return 0.0
        if self.state != HEATING or self.temp_c is None:
            return None
        if self.cooling():
            return None  # a cooling estimate from the identified losses is issue 20's
        return self.model.ready_in_s(self.temp_c, self.target_c, self._ready_band_c,
                                     self._ready_hold_ms / 1000.0, self._in_band_ms / 1000.0,
                                     self.pid.kp, self._leak_cap_shape())

    # -- commands ---------------------------------------------------------------------------

    def set_target_c(self, target_c):
        s = self.settings
        low, high = s["setpoint_min_c"], s["setpoint_max_c"]
        try:
            target_c = float(target_c)
        except (TypeError, ValueError):
            raise SettingError("BAD_VALUE", "target must be a number")
        if self.state == TUNING:
            raise CommandError("TUNING", "autotune is running at the current target: "
                               "stop it first")
        if not (low <= target_c <= high):
            raise SettingError("OUT_OF_RANGE", "target must be between %.1f and %.1f C "
                               "(%.1f and %.1f F)" % (low, high, c_to_f(low), c_to_f(high)))
        self.target_c = target_c
        self._idle_timer_ms = 0
        if self.state == READY and self.temp_c is not None and \
                abs(self.temp_c - target_c) > 2 * self._ready_band_c:
            # Not ready for this target: the reply and status say so now, not a tick later
            # (READY with `cooling` true contradicted the protocol).
            self.state = HEATING
            self._in_band_ms = 0

    def start(self):
        if self.state == FAULT:
            raise CommandError("FAULT_LATCHED", "a fault is latched: reset it first")
        self._idle_timer_ms = 0
        self.stopped_by = None
        if self.state == IDLE:
            self.state = HEATING
            self._in_band_ms = 0
            # A fresh start, not a bumpless transfer: from the output 0 a cold bath would
            # start with the integral at -1 and creep up to the target.
            self.pid.reset(0.0, None, self.temp_c)
            self.model.restart()
            self.watch.reset()
            self.watch.remember(self._known_bath())
            self._learnt = False

    def remember_bath(self, value):
        """At boot: the stored slope of an earlier heat-up (None, or refused when it is no
        bath's). The heat watch holds a heat-up that rises far slower than that one did: a
        probe out of the water from the start reads air that rises a quarter as fast."""
        self.bath_memory = (float(value[0]), float(value[1])) if valid_bath(value) else None
        self.watch.remember(self._known_bath())

    def _known_bath(self):
        """The slope a heat-up is judged by from its start: the last heat-up's to READY, or,
        before there was one, the bath the technician declared (None: neither)."""
        if self.bath_memory is not None:
            return self.bath_memory
        return declared_bath(self.settings)

    def stop(self):
        if self.state == TUNING:
            self._end_tune("stopped by a command")
        if self.state != FAULT:
            self.state = IDLE
        self._outputs_off()

    def start_tune(self):
        """Begin autotune around the current target, from IDLE, HEATING or READY."""
        if self.state == FAULT:
            raise CommandError("FAULT_LATCHED", "a fault is latched: reset it first")
        if self.state == TUNING:
            raise CommandError("TUNING", "autotune is already running")
        if not self._reading_ok:
            raise CommandError("UNSAFE", "the sensor reading is not valid yet")
        from .autotune import RelayTune  # loaded on first use: the heap is small
        self.tune = RelayTune(self.target_c)
        if self.state == IDLE:
            # The watch slept through IDLE: its history is stale. From HEATING or READY it
            # goes on watching the same bath, and keeps the full-power slope it saw: without
            # it, the coast after the approach's first pulse from READY looked like a weld
            # (SSR_WELDED on every healthy bath tried, issue 15).
            self.watch.reset()
            self.watch.remember(self._known_bath())
            # The way up to the target is a heat-up like start()'s (_tune_warming).
            self.pid.reset(0.0, None, self.temp_c)
            self.model.restart()
            self._learnt = False
        self.state = TUNING
        self.stopped_by = None
        self._idle_timer_ms = 0

    def _end_tune(self, reason):
        self.tune.abort(reason)
        self.events.add(TUNE_ABORTED, self.temp_c, reason)

    def reset_fault(self):
        if self.state != FAULT:
            raise CommandError("NO_FAULT", "no fault to reset")
        if not self._reading_ok:
            raise CommandError("NO_READING", "the probe gives no valid reading: %s is still "
                               "there" % (self.fault or "a sensor fault"))
        limit = self._cutoff_c - RESET_BELOW_CUTOFF_C
        if max(self.reading_c, self.raw_c) >= limit:
            raise CommandError("UNSAFE", "water must cool below %.1f C first" % limit)
        self.events.add(faults.RESET, self.reading_c)
        if self.fault == faults.HEATING_WATCH and self.bath_memory is not None:
            # A person has looked at the probe and the bath: if the bath is new or bigger, the
            # slope of the old one must not hold every heat-up. The next one is learnt afresh.
            self.bath_memory = None
            self.learnt_bath = False
            self.watch.remember(self._known_bath())
        self.state = IDLE
        self.fault = None
        self.fault_value = None
        self.fault_ms = None
        self.health.reset()
        self.health2.reset()
        self._disagree_reads = 0

    # -- the control tick --------------------------------------------------------------------

    def tick(self, now_ms, frame, frame2=None):
        """Run one control period on a raw sensor frame (and the second sensor's, if one is
        configured); returns whether the SSR is on."""
        try:
            self._tick(now_ms, frame)
            if self._read2 is not None and self.state != FAULT:
                self._check_second(now_ms, frame2)
        except Exception:  # noqa: BLE001 - any failure must end with the heater off
            self._trip(INTERNAL_ERROR, None, now_ms)
        return self.heater_on

    def _tick(self, now_ms, frame):
        self.last_frame = frame
        dt_ms = 0 if self._last_ms is None else ticks_diff(now_ms, self._last_ms)
        self._last_ms = now_ms
        self._dt_ms = dt_ms
        if dt_ms > 0:
            self.uptime_ms += dt_ms
        if frame is None:  # the board had no fresh frame this period
            hot_c, cj_c, code = None, None, faults.SENSOR_STALE
        else:
            hot_c, cj_c, code = self._read(frame)
        self.cj_c = cj_c
        if code is None:
            self.raw_c = hot_c
            value = hot_c * self._cal_gain + self._cal_offset_c
            if not (PLAUSIBLE_WATER_MIN_C <= value <= PLAUSIBLE_WATER_MAX_C):  # also NaN
                code = faults.SENSOR_RANGE
                hot_c = value
        if code is not None:
            # Off for this period whatever happens next; latched only if the sensor is faulty.
            self._reading_ok = False
            if self.health.bad_read():
                if self.health.intermittent():
                    code = faults.SENSOR_INTERMITTENT
                self._trip(code, hot_c, now_ms)
            else:
                self._heater_off_now()
            return
        self._reading_ok = True
        self.reading_c = value
        if self.health.good_read(frame, dt_ms):
            self._trip(faults.SENSOR_FROZEN, value, now_ms)
            return
        # The cutoff sees the higher of the calibrated and the raw reading: a calibration can
        # make it trip sooner, never later (an offset of -10 C must not lift it by 10 C).
        hottest = value if value > hot_c else hot_c
        if hottest >= self._cutoff_c:
            self._trip(faults.OVER_TEMP, hottest, now_ms)
            return
        self._filter(value, dt_ms)
        if self.state == FAULT or self.state == IDLE:
            self._outputs_off()
            return
        code = self.watch.update(dt_ms, self.temp_c, self.heater_on, self.state != TUNING,
                                 self.temp_c - self.target_c if self.state == READY else None)
        if code is not None:
            self._trip(code, value, now_ms)
            return
        self._idle_timer_ms += dt_ms
        if self._idle_timer_ms >= self._auto_off_ms:  # left on overnight: back to idle
            if self.state == TUNING:
                self.tune.abort("auto-off")
            self.state = IDLE
            self.stopped_by = faults.AUTO_OFF
            self.events.add(faults.AUTO_OFF, value)
            self._outputs_off()
            return
        if self.state == TUNING and not self._tune_warming():
            self.duty = self._tune_tick(dt_ms, now_ms)
            if self.state == IDLE:
                return
        else:
            if self.state != TUNING:
                self._track_ready(dt_ms)
            if self.model.update(dt_ms / 1000.0, self.temp_c, self.duty):
                if self.model.k_c_per_s > self.watch.ramp_k_c_s:
                    self.watch.ramp_k_c_s = self.model.k_c_per_s
                    self.watch.ramp_lag_s = self.model.lag_s
                self.watch.level.learn(self.model.k_c_per_s, self.model.lag_s,
                                       self.model.ramp_s)
                if self._adapt:
                    # Only while at full power, so the output does not move: no bump to avoid.
                    p = self.pid
                    p.kp, p.ti_s, p.td_s, p.derivative_filter_s = self._gains()
            cap = self._leak_cap()
            self.watch.ceiling = cap
            self.duty = self.pid.update(self.target_c, self.temp_c, now_ms, cap)
        if self.watch.holding or self.watch.level.relay_open():
            # The heat given has not shown yet, or a suspected weld is judged: no heat.
            self.duty = 0.0  # what status shows and the bath model learns from: none
            # The relay opens too: if the SSR has welded as well, it must not heat meanwhile.
            self.relay_on = False
            self._heater_off_now()
            return
        if self.watch.resting:
            # Held at the power cap without gaining: the heat watch rests the heater to see
            # whether its heat made any difference (a dead element's makes none).
            self.duty = 0.0
            self._heater_off_now()
            return
        test = self.watch.level.duty()
        if test is None and self.watch.level.reask(self.temp_c):
            # A weld judgement that found the SSR obeying asks it once more (WaterLevel).
            self.relay_on = False
            self._heater_off_now()
            return
        if test is None and self.watch.surging() and self.temp_c < self.target_c:
            # A rise no full bath makes on its heater: heat poured in (the bath gets it anyway)
            # or 1 L left after a leak. Under the power cap the full-power low water checks see
            # nothing, so no heat until it has settled (issue 13). The bath model learns from
            # the duty: none (a fit across the pour at "full power" took its slope and lag).
            self.duty = 0.0
            self.relay_on = False  # the weld checks wait for a step: a weld must not heat
            self._heater_off_now()
            return
        if self.watch.stepping():
            # Heat poured in is settling, and the weld checks wait for it: they see nothing.
            # A weld with the water gone (1 L left) rises as fast as a pour and would pass
            # the cutoff meanwhile (64 C). So from a step on, for as long as no heat is
            # wanted, the relay is open too; closed again on 1 L that hot, a weld would pass
            # the cutoff before its heat reached the probe. A water level test (or a weld
            # judgement) keeps the relay itself: with the relay closed and the SSR off, a weld
            # shows to the weld checks that watch through it (resting there too named 4 of 750
            # welds LOW_WATER, whose advice closes the relay on them again).
            self._rest = True
        if self._rest and test is None and not self.watch.level.watching():
            if not self.duty > 0.0:
                self.relay_on = False
                self._heater_off_now()
                return
            self._rest = False
        self.relay_on = True
        if test is not None:  # the water level test has the heater for a few minutes
            if 0.0 < test < 1.0 and self.temp_c > self.target_c + self._ready_band_c:
                # The test's background heat keeps a hold in balance; above the band nothing
                # needs it, and its pulses would hide a weld from the off-time check (3 L
                # after the afternoon stones: 61.12 C, the SSR never off for 10 s).
                test = 0.0
            self.duty = test
            if not test > 0.0:
                self._heater_off_now()
                return
        self.heater_on = self.output.update(self.duty, now_ms)

    def _leak_lag_s(self):
        """The lag the power cap believes: the bath's identified (or remembered, if longer)
        lag, never under the floor, and the range's longest while none is known."""
        m = self.model
        lag = m.lag_s if m.k_c_per_s is not None and m.lag_s is not None else LEAK_LAG_UNKNOWN_S
        if self.bath_memory is not None and self.bath_memory[1] > lag:
            lag = self.bath_memory[1]
        return lag if lag > LEAK_LAG_FLOOR_S else LEAK_LAG_FLOOR_S

    def _leak_cap_shape(self, lag_s=None):
        """(limit C, span C): the cap is (limit - water) / span of full power where that is
        under 1 (``_cap_share``)."""
        if lag_s is None:
            lag_s = self._leak_lag_s()
        return (self._cutoff_c + WATCH_MARGIN_C,
                FASTEST_LOW_BATH_C_S * LEAK_LAG_SHARE * lag_s + LEAK_COAST_C)

    def _leak_cap(self):
        """The most power this moment allows so that a leak now (1 L left) cannot pass the
        cutoff + 1 C before its heat reaches the probe (issue 13). 1 L on the strongest
        heater heats 0.39 C/s, and the reading sees it only after the bath's lag: with 38 s
        of lag that is 15 C unseen, more than the headroom above any target. No check on the
        reading can close that, so the power is capped: the headroom left, over the rise
        that 1 L would make in the lag at full power plus the element's stored heat. The
        bath's own lag (identified, or remembered) when known, else the range's longest; the
        water leads the reading by about the rise it is making times the lag."""
        lag = self._leak_lag_s()
        limit, span = self._leak_cap_shape(lag)
        m = self.model
        # The higher of the calibrated and the raw reading, as the cutoff takes: a calibration
        # that lowers the reading may not buy the heater more power near the limit.
        water = self.temp_c if self.raw_c is None or self.raw_c < self.temp_c else self.raw_c
        if self.duty > 0.0 and m.k_c_per_s is not None and m.lag_s is not None:
            water += self.duty * m.k_c_per_s * lag
        return _cap_share(water, limit, span)

    def _tune_warming(self):
        """Autotune started below the target: its relay waits until the controller's own PID
        has brought the water into the ready band. Full power all the way up coasts a small
        bath behind a long mixing delay (3.2 L, 30 s) past the tune's 3 C limit, and the
        relay's first cycles measure nothing the heat-up's PID does not do better."""
        return self.tune.elapsed_ms == 0 and self.tune.phase == "approach" \
            and self.temp_c < self.target_c - self._ready_band_c

    def _tune_tick(self, dt_ms, now_ms):
        tune = self.tune
        if tune.phase == "approach":
            # The relay's "on" is the power cap at the top of its swing, fixed once it cycles
            # (the tune's model divides by it): full power there on a small bath behind 38 s
            # of lag coasted past the cutoff (61.8 C), and a leak would pass it unseen.
            limit, span = self._leak_cap_shape()
            tune.high = _cap_share(tune.setpoint_c + tune.h, limit, span)
        self.watch.ceiling = tune.high  # the heat watch judges the relay's "on" at it
        duty = tune.update(dt_ms, self.temp_c)
        # The phases by value: importing autotune.py's names would load it at boot.
        if tune.phase == "done":
            # Back to holding the target with the gains in use; the new ones wait for a
            # technician's "autotune save".
            self.events.add(TUNE_DONE, self.temp_c, "kp %.3g ti %.0f" % (
                tune.result["kp"], tune.result["ti_s"]))
            self.state = HEATING
            self._in_band_ms = 0
            self.pid.reset(tune.result["hold_duty"], self.target_c, self.temp_c)
            return self.pid.update(self.target_c, self.temp_c, now_ms)
        if tune.phase == "aborted":
            self.events.add(TUNE_ABORTED, self.temp_c, tune.reason)
            self.state = IDLE
            self._outputs_off()
        return duty

    def _check_second(self, now_ms, frame2):
        """The redundant probe: its own faults, the cutoff, and agreement with the first."""
        if frame2 is None:
            hot_c, code = None, faults.SENSOR_STALE
        else:
            hot_c, _, code = self._read2(frame2)
        if code is None:
            value = hot_c * self._cal_gain + self._cal_offset_c
            if not (PLAUSIBLE_WATER_MIN_C <= value <= PLAUSIBLE_WATER_MAX_C):
                code = faults.SENSOR_RANGE
        if code is not None:
            if self.health2.bad_read():
                self._trip(faults.SENSOR2_FAULT, hot_c, now_ms)
            else:
                self._heater_off_now()
            return
        if self.health2.good_read(frame2, self._dt_ms):
            self._trip(faults.SENSOR2_FAULT, value, now_ms)  # the second probe froze
            return
        self.reading2_c = value
        hottest = value if value > hot_c else hot_c  # as for the first probe
        if hottest >= self._cutoff_c:
            self._trip(faults.OVER_TEMP, hottest, now_ms)
            return
        if self._reading_ok and abs(value - self.reading_c) > self._disagree_c:
            self._disagree_reads += 1
            if self._disagree_reads >= self._sensor_bad_reads:
                self._trip(faults.SENSOR_DISAGREE, value, now_ms)
        else:
            self._disagree_reads = 0

    def _filter(self, value, dt_ms):
        tau = self._filter_s
        if self.temp_c is None or dt_ms <= 0 or dt_ms > 5000 or tau <= 0:
            self.temp_c = value
        else:
            dt = dt_ms / 1000.0
            self.temp_c += (value - self.temp_c) * dt / (tau + dt)

    def _track_ready(self, dt_ms):
        band = self._ready_band_c
        error = abs(self.temp_c - self.target_c)
        if self.state == READY:
            if error > 2 * band:
                self.state = HEATING
                self._in_band_ms = 0
        elif error <= band:
            self._in_band_ms += dt_ms
            if self._in_band_ms >= self._ready_hold_ms:
                self.state = READY
                self._learn_bath()
        else:
            self._in_band_ms = 0

    def _learn_bath(self):
        """READY: this heat-up's first slope is the bath's, to remember for the next one;
        not if heat was poured in on the way (it steepens the slope), and never more than
        ``MEMORY_RISE`` times the slope remembered: a slope too steep would hold a healthy
        heat-up, one too shallow only misses a probe in the air."""
        level = self.watch.level
        k = level.ref_k
        if k <= 0.0 or self.watch.poured or self._learnt:
            return
        self._learnt = True  # READY again after cold stones: the same heat-up, once
        if self.bath_memory is not None and k > MEMORY_RISE * self.bath_memory[0]:
            k = MEMORY_RISE * self.bath_memory[0]
        self.learnt_bath = [round(k, 5), round(level.lag_s, 1)]
        self.bath_memory = (self.learnt_bath[0], self.learnt_bath[1])
        if not valid_bath(self.learnt_bath):  # a slope no bath could have: keep nothing
            self.bath_memory = None
            self.learnt_bath = False

    def _trip(self, code, value, now_ms):
        self._outputs_off()
        if self.state == TUNING:
            self.tune.abort("fault " + code)
        if self.state != FAULT:  # the first cause is the one reported
            self.state = FAULT
            self.fault = code
            self.fault_value = value
            self.fault_ms = now_ms
            self.events.add(code, value)

    def _heater_off_now(self):
        """SSR off for this period only; state, relay and PID carry on."""
        self.heater_on = False
        self.output.force_off()

    def _outputs_off(self):
        # The flags first: whatever the calls below do, the board sees off.
        self.heater_on = False
        self.relay_on = False
        self.duty = 0.0
        self.output.force_off()
        self.pid.reset(0.0)
        self._rest = False
