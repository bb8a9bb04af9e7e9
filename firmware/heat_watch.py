"""Whether the heater does what it is told: it heats when on, stops when off, and the bath
takes the heat as a full bath should.

Each check is written down with what it needs to see and the states in which it sees nothing
(docs/safety.md, "What each check needs to see").

- Heating watch: with the SSR on for at least ``WATCH_DUTY`` of a window, the reading must
  rise ``watch_rise_c`` above its lowest point in that window. A dead element or a probe lifted
  out of the water fails it. The window is the shorter of ``watch_s`` and the time the fastest
  full bath of the product's range (``FASTEST_FULL_BATH_C_S``) needs at full power to climb
  from the highest reading of the last ``watch_s`` to the cutoff: a probe that leaves a hot
  bath gives the water it left no more heat than takes it to the cutoff, on any bath, whatever
  ``watch_s`` says. A window that fails does not trip at once: it **holds the heater off**
  (``holding``) for up to ``watch_s`` while the heat already given shows. In water it does
  (a cold top-up, a drop of stones on a bath with a long mixing delay: the hold ends and
  heating goes on); a probe in the air or a dead element shows nothing, and HEATING_WATCH
  latches at the end of the hold with the water no hotter than the window allowed. A hold
  opens an *episode* that lasts until the reading is back where the hold began: the heat
  given during it counts against the headroom of every later window, and a second hold
  before the reading is back latches at once. So a probe in the air, whose reading creeps up
  with the bath below it, cannot buy window after window of heat. Once the bath model has
  the heat-up's slope, a full-power minute that shows less than ``RAMP_SHARE`` of it holds
  too: tighter, never looser, than the fixed window.
- Under the controller's power cap (``ceiling``: near the cutoff on a bath behind long lags,
  so that a leak there cannot pass the limit unseen) the PID may sit below the watch's bar
  for good: a dead element at READY was never judged. Held at the cap for ``CAPPED_S``
  without the reading turning up, the heater rests (``resting``) and the slope without its
  heat is set against the slope at the cap: no difference latches HEATING_WATCH
  (``_capped_check``).
- A rise steeper than ``SURGE_RATIO`` times this heat-up's slope (``surging``) is heat poured
  in or a leak: the controller gives no heat below the target while it settles, since under
  the cap the full-power low water checks below see nothing.
- After a fall faster than any bath cools (``FALL_RATE_C_S``: the probe has left the water, a
  leak has left it dry, or cold was poured in) the watch cannot know how much water its heat
  goes into: 1 L left on a 1.5 kW heater passes the cutoff within 20 s of full power. For
  ``BLIND_MS`` the window is sized for 1 L left on the strongest heater
  (``FASTEST_LOW_BATH_C_S``), and the hold after it ends, and the doubt with it (its episode
  too), only when that heat shows. In the air the reading goes on falling through the hold,
  towards a point between the room and the water, the heat given hidden in the fall; nothing
  shows, and HEATING_WATCH latches within ``SOFT_HOLD_S``.
- Slower than its slope: full-power minutes (after the lag) that show less than
  ``RAMP_SHARE`` of this heat-up's slope, or of the slope an **earlier heat-up** of this bath
  showed (``remember``), for ``SLOW_S`` in all, latch HEATING_WATCH. The holds above do not
  stop a probe in the air: its reading creeps on with the heater off as water's does, so
  each hold ends at once. And a probe out of the water from the very start of a heat-up
  reads air that rises with the water, a quarter as fast: only the earlier heat-up knows the
  bath. A bath slower than that by a long way is another bath: a person's reset forgets the
  old one (the controller).
- Welded SSR: with the SSR off for at least ``WELD_MIN_OFF_MS``, the reading may rise above its
  lowest point since then only by what was already on its way (heat stored in the element, the
  mixing dead time). That is ``weld_base_c`` plus ``coast_s`` times the rate it was rising at
  when the SSR went off, or, if more, the heat of the last ``coast_s`` of SSR on-time at the
  fastest rate full power has shown. A rise faster than the bath's heater can make
  (``_step_rate_c_s``: hot water or hot stones put in) moves the lowest point up instead, once
  it has settled (``STEP_SETTLE_MS``): heat poured in is not a welded SSR.
- Low water: at full power throughout the last ``LOW_WATER_SPAN_S``, the bath must not heat
  faster than ``max_rate_c_s``; with half its water gone it heats about twice as fast. The
  threshold sits above the fastest full bath of the range, so a small bare bath on a big
  element is not low water.

The checks read a slow average of the reading (``SMOOTH_MS``), so that noise cannot trip them.
"""

from .faults import HEATING_WATCH, LOW_WATER, SSR_WELDED
from .history import zeros
from .limits import FASTEST_FULL_BATH_C_S, FASTEST_LOW_BATH_C_S, WATCH_MARGIN_C
from .water_level import COUNT_CAP_MS, WaterLevel

SAMPLE_MS = 2000
SMOOTH_MS = 8000
WATCH_DUTY = 0.8
MIN_WATCH_S = 16  # a shorter window would judge the probe's own lag, not the heat
WELD_MIN_OFF_MS = 10000
RATE_WINDOW_S = 20  # the rate before a switch-off is measured over this
LOW_WATER_SPAN_S = 30
FULL_DUTY = 0.95  # a sample counts as full power from this on-fraction
# Faster than the fastest full bath heats at full power, with a margin: such a rise is heat
# poured in. Judged on the lightly filtered reading over two samples (4 s).
STEP_RATE_C_S = 0.25
STEP_MODEL_RATIO = 2.5
STEP_FLOOR_C_S = 0.05
# After a step the weld checks wait this long, for the slow reading to settle behind a probe
# of up to 8 s lag, before they take a new baseline.
STEP_SETTLE_MS = 60000
# ... and a step steeper than SURGE_RATIO times this heat-up's slope, and than SURGE_C_S
# (SURGE_UNKNOWN_C_S before a slope is known: above the fastest full bath), over two samples,
# holds the heat off below the target while it settles (the controller): 1 L left on the
# strongest heater climbs 0.3-0.39 C/s, a pour faster. Steeper than the steps above, which
# the reading's noise makes on a slow bath, and than a small bath heats at full power.
SURGE_RATIO = 1.8
SURGE_C_S = 0.125
SURGE_UNKNOWN_C_S = 0.2
# The PID held at the controller's power cap (a sample on for CAPPED_SHARE of it) without the
# reading turning up for CAPPED_S asks the water level test whether the heat shows.
CAPPED_SHARE = 0.9
CAPPED_MEAN_S = 60
CAPPED_S = 300
# ... by resting the heater for REST_S: the slope over the last CAPPED_SPAN_S with it off must
# differ from the slope at the cap by CAPPED_SHARE_SHOWN of what the heat given there makes
# at the heat-up's slope (SLOWEST_FULL_BATH_C_S without one: 648 W into 17 L and 5 kg). A rest
# that found the heat showing is not asked again for CAPPED_EVERY_S.
REST_S = 180
CAPPED_SPAN_S = 120
CAPPED_SHARE_SHOWN = 0.25
SLOWEST_FULL_BATH_C_S = 0.0085
CAPPED_EVERY_S = 1800
REST_RISE_C = 0.15  # a rise this big in the rest is heat poured in: no verdict (the noise: 0.02)
# A fall faster than this (over two samples, 4 s) is no bath cooling: the probe has left the
# water, a leak has left it dry, or cold was poured in. For BLIND_MS after it the heating watch
# cannot know how much water its heat goes into: its window is sized for 1 L left on the
# strongest heater (FASTEST_LOW_BATH_C_S), and the heat must show before more is given.
FALL_RATE_C_S = 0.25
BLIND_MS = 90000
# A hold after such a window lasts at most this, whatever watch_s: in the air the reading
# settles after a few minutes, and its noise could then release the hold.
SOFT_HOLD_S = 120
# ... and ends, after SETTLED_AFTER_S, when the reading has fallen less than HOLD_RISE_C over
# the last SETTLED_S: a cold top-up has mixed and the probe is in water (_settled_in_water).
SETTLED_AFTER_S = 60
SETTLED_S = 30
# Only on a bath slow enough that the window's heat can hide in a fall (16 s at this slope is
# 0.4 C), and only for a fall no bigger than 1 L of tap water (TAP_C) can make on it: the bath
# holds at least (648 W - 150 W of losses) / slope J/K (the weakest heater at mains -10 %), so
# 1 L at TAP_C lowers it at most 4180 / 498 = 8.4 s times the slope per degree above TAP_C.
SLOW_BATH_C_S = 0.025
TOP_UP_FALL_PER_C_S = 8.4
TAP_C = 5.0
FALL_TOP_SAMPLES = 10  # the fall began within the last 20 s
# A hold ends when the reading has turned up this much from its lowest point: the coast of
# the heat given in one short window on the slowest bath of the range (17 L, 648 W) is under
# 0.1 C once its losses are taken off, and the slow reading's noise about 0.02 C. A release
# that noise gives is safe: the episode still counts the heat, and a second hold trips.
HOLD_RISE_C = 0.05
# With the bath model's slope known, a full-power minute must show this share of it. A lid
# off takes up to a third of a weak heater's power and stones behind the water a quarter;
# a probe in the air shows a quarter of the water's rise, after a fall.
RAMP_CHECK_S = 60
RAMP_SHARE = 0.4
# ... and, slower than that or than an earlier heat-up of this bath for this long in all,
# latches: cold stones slow a small bath's minute for less (the water regains at full power).
SLOW_S = 60
# The remembered slope judges the first REMEMBERED_FOR_S of full power of a heat-up, where a
# probe in the air from the start shows (latched by then on every bath of the range), for
# REMEMBERED_SLOW_S: later, a lid off near the target takes a weak heater's rise below it for
# good; cold stones dropped in slow a small bath's rise for a minute or two.
REMEMBERED_FOR_S = 600
REMEMBERED_SLOW_S = 120
# Welded SSR, seen through the model: the SSR on for at most WELD_MAX_DUTY over the model's lag
# plus WELD_TAIL_S (the element's and the probe's lags) plus WELD_WINDOW_S, and the reading up
# WELD_SHARE of the full-power slope over the last WELD_WINDOW_S.
WELD_WINDOW_S = 20
WELD_TAIL_S = 30
WELD_MAX_DUTY = 0.3
WELD_SHARE = 0.7
MODEL_SPAN_S = 200  # the history kept for the model checks: the water level fit (120 s) behind a lag of up to 80 s


class HeatWatch:
    def __init__(self, watch_s=120, watch_rise_c=0.3, weld_base_c=0.3, coast_s=60,
                 max_rate_c_s=0.18, cutoff_c=60.0, level_test_s=0):
        self.watch_s = watch_s
        self.watch_rise_c = watch_rise_c
        self.weld_base_c = weld_base_c
        self.coast_s = coast_s
        self.max_rate_c_s = max_rate_c_s
        self.cutoff_c = cutoff_c
        self.level_test_s = level_test_s
        self.remembered_k_c_s = 0.0  # an earlier heat-up's slope (kept by the controller)
        self.remembered_lag_s = 0.0
        self.reset()

    def remember(self, bath):
        """``bath``: (slope C/s, lag s) of an earlier heat-up of this bath, or None."""
        self.remembered_k_c_s, self.remembered_lag_s = bath if bath else (0.0, 0.0)

    def reset(self):
        # Long enough for the model checks too, whatever watch_s is.
        n = max(MODEL_SPAN_S, int(self.watch_s)) * 1000 // SAMPLE_MS
        # Single floats, 4 bytes a sample: a list would keep a boxed float per sample on the
        # heap (about 3.5 KB more on the ESP32 for these two).
        self.temps = zeros("f", n)  # the smoothed reading every SAMPLE_MS
        self.duties = zeros("f", n)  # the SSR's on-fraction over each sample
        self._n = 0  # samples held (up to len)
        self.pos = 0
        self.smooth_c = None
        self._sample_ms = 0
        self._on_ms = 0
        self._off_ms = 0  # how long the SSR has been off without a break
        self._off_min_c = None
        self._allowance_c = 0.0
        self.poured = False  # heat poured in since the reset: this heat-up's slope is not the bath's
        self._slow_ms = 0  # how long the heat-up has been slower than its slope
        self._full_ms = 0  # full power since the reset (capped)
        self._step_ms = 0  # a step of poured-in heat is settling: the weld baseline follows
        self._fast_c = None  # the lightly filtered reading at the last two samples
        self._fast_prev_c = None
        self._blind_ms = 0  # the reading fell faster than water cools this recently
        self._fall_top_c = 0.0  # where the slow reading was when that fall began
        self._stepped = False  # one step per stretch with the SSR off: a weld is no string of steps
        self._surge_ms = 0  # a step steeper than SURGE_C_S is settling
        self.ceiling = 1.0  # the controller's power cap now (its leak cap)
        self._capped_ms = 0  # held at the cap without turning up this long
        self._capped_low_c = 0.0
        self._capped_wait_ms = 0  # a rest found the heat showing this recently
        self.resting = False  # the heater rests: does the slope change without its heat?
        self._rest_ms = 0
        self._on_rate = 0.0  # the slope at the cap before the rest
        self._expected = 0.0  # ... and the difference the heat given there should make
        self.full_rate_c_s = 0.0  # the fastest rise seen at full power since the reset
        self.holding = False  # the heating watch holds the heater off until the heat shows
        self._hold_ms = 0
        self._hold_low_c = 0.0
        self._soft_hold = False  # the hold of a window sized for 1 L left (after a fall)
        self.ramp_k_c_s = 0.0  # the steepest full-power slope of this heat-up (the bath model's)
        self.ramp_lag_s = 0.0  # and the lag the model found behind it
        self._fresh = 1 << 30  # samples since a hold ended: no window reaches back past it
        self._regain_c = None  # an episode is open until the reading is back at this
        self._episode_c = 0.0  # how hot the water may be by now in the episode, at worst
        self.level = WaterLevel(self.level_test_s)  # low water, against the heat-up's slope
        self.level.limit_c = self.cutoff_c + 1.0

    def recalibrate(self, move):
        """A new calibration: every remembered reading becomes ``move(reading)``, so the
        checks compare like with like (a step of the calibration is no rise of the bath)."""
        size = len(self.temps)
        for i in range(1, self._n + 1):
            j = (self.pos - i) % size
            self.temps[j] = move(self.temps[j])
        if self.smooth_c is not None:
            self.smooth_c = move(self.smooth_c)
        if self._off_min_c is not None:
            self._off_min_c = move(self._off_min_c)
        if self._regain_c is not None:
            self._regain_c = move(self._regain_c)
            self._episode_c = move(self._episode_c)
        self._hold_low_c = move(self._hold_low_c)
        if self._fast_c is not None:
            self._fast_c = move(self._fast_c)
        if self._fast_prev_c is not None:
            self._fast_prev_c = move(self._fast_prev_c)

    def window_s(self):
        """The heating watch's window now: ``watch_s``, or less when the highest recent
        reading leaves less headroom to the cutoff than the fastest bath needs."""
        top = self.smooth_c if self._regain_c is None or self._episode_c < self.smooth_c \
            else self._episode_c
        for i in range(1, self._n + 1):
            t = self.temps[(self.pos - i) % len(self.temps)]
            if t > top:
                top = t
        rate = FASTEST_LOW_BATH_C_S if self._blind_ms > 0 else FASTEST_FULL_BATH_C_S
        fastest = (self.cutoff_c + 1.0 - WATCH_MARGIN_C - top) / rate
        if fastest < MIN_WATCH_S:
            fastest = MIN_WATCH_S
        return fastest if fastest < self.watch_s else self.watch_s

    def update(self, dt, temp_c, heater_was_on, may_test=True, hold_error_c=None):
        """Feed the reading after ``dt`` ms and whether the SSR was on during them; returns a
        fault code or None. ``may_test``: the water level test may take the heater over (not
        during autotune, whose relay cycles are its own); ``hold_error_c``: at a hold, the
        controller's reading less its target (None otherwise): the test runs there now and
        then."""
        if self.smooth_c is None:
            self.smooth_c = temp_c
            return None
        if dt <= 0:
            return None
        if dt > SAMPLE_MS:  # a stalled loop: start watching afresh, but a stall must not end a
            # hold or an episode, nor forget the heat-up's slope
            kept = (self.holding, self._hold_ms, self._hold_low_c, self._regain_c,
                    self._episode_c, self.ramp_k_c_s, self.ramp_lag_s, self.level,
                    self._blind_ms, self._soft_hold)
            top = self.smooth_c
            for i in range(1, self._n + 1):
                t = self.temps[(self.pos - i) % len(self.temps)]
                if t > top:
                    top = t
            self.reset()
            (self.holding, self._hold_ms, self._hold_low_c, self._regain_c, self._episode_c,
             self.ramp_k_c_s, self.ramp_lag_s, self.level, self._blind_ms,
             self._soft_hold) = kept
            self.smooth_c = temp_c
            if self._blind_ms > 0 and not self.holding:
                # In the doubt after a fall the window's history is gone with the stall, and
                # a new window needs 16 s of samples: 1 L left on full power meanwhile reached
                # 62.7-74 C. So the heater is held now, as at the window's end.
                self.holding = self._soft_hold = True
                self._hold_ms = 0
                self._hold_low_c = temp_c
                if self._regain_c is None:
                    self._regain_c = temp_c
                    self._episode_c = top
            return None
        self.smooth_c += (temp_c - self.smooth_c) * dt / (SMOOTH_MS + dt)
        if self.holding:
            code = self._hold_check(dt)
            if code is not None:
                return code
        if self.level.judging_weld():  # the relay is open: it has to judge it now
            code = None
            self._off_ms = 0
        else:
            code = self._weld_check(dt, heater_was_on)
        if self.level.phase:  # the water level test has the heater
            code = self.level.update(dt, self.smooth_c, heater_was_on) or code
        self._sample_ms += dt
        if heater_was_on:
            self._on_ms += dt
        if self._sample_ms >= SAMPLE_MS:
            code = self._take_sample(temp_c) or code
            if code is None and may_test and not self.holding:
                # A climb too fast at full power may be a pour: the test tells.
                self.level.sample(self, SAMPLE_MS, None if self._step_ms > 0 else hold_error_c)
        return code

    def _hold_check(self, dt):
        """While held off: the heat given must show as a rise, within ``watch_s``."""
        if self.smooth_c < self._hold_low_c:
            self._hold_low_c = self.smooth_c
        if self.smooth_c - self._hold_low_c >= HOLD_RISE_C or self._settled_in_water():
            self.holding = False  # it shows: the probe is in water that takes the heat
            if self._soft_hold:
                # After a fall, the short window's heat showed: the probe is in water, which
                # the water level checks watch from here. The episode ends with the doubt, and
                # the windows are the full bath's again: holding on, a cold top-up on a big
                # bath behind a long lag (13.3 L, 937 W) tripped 2 of 161 healthy workdays
                # (benchmarks/false_trips.py) before its reading climbed back.
                self._blind_ms = 0
                self._regain_c = None
            self._fresh = 0  # windows judge only what comes after
            return None
        self._hold_ms += dt
        limit_s = SOFT_HOLD_S if self._soft_hold and SOFT_HOLD_S < self.watch_s else self.watch_s
        if self._hold_ms >= limit_s * 1000:
            return HEATING_WATCH
        return None

    def _settled_in_water(self):
        """A hold after a fall on a slow bath whose slope is known: the reading has stopped
        falling, as a probe in water does once a cold top-up has mixed, and the fall was no
        bigger than 1 L of cold water can make on a bath this slow. On such a bath the short
        window's heat hides in the top-up's fall and shows less than HOLD_RISE_C (17 L on
        720 W tripped HEATING_WATCH at the workday's lunch top-up on every sensor seed). A
        probe in the air falls further (towards a point between the room and the water) and,
        in the simulator, for minutes; one that settled within a minute close to the water
        would pass, which is why this is kept to slow baths and small falls: with the air
        settling in 5 s, ending every such hold on a settled reading boiled 47 of 100 probes
        lifted out over 20 baths; this rule adds none (docs/safety.md, Known limits)."""
        if not self._soft_hold or self._hold_ms < SETTLED_AFTER_S * 1000:
            return False
        k = self.ramp_k_c_s if self.ramp_k_c_s > 0.0 else self.remembered_k_c_s
        if not 0.0 < k <= SLOW_BATH_C_S:
            return False
        fall = self._fall_top_c - self.smooth_c  # 0 after a stall: none recorded, no release
        if not 0.0 < fall <= TOP_UP_FALL_PER_C_S * (self._fall_top_c - TAP_C) * k:
            return False
        back = SETTLED_S * 1000 // SAMPLE_MS
        if self._n <= back:
            return False
        size = len(self.temps)
        return self.temps[(self.pos - 1 - back) % size] - self.smooth_c < HOLD_RISE_C

    def _weld_check(self, dt, heater_was_on):
        if heater_was_on:
            self._off_ms = 0
            self._stepped = False
            return None
        if self._off_ms == 0:  # just switched off: how much rise is still on its way
            self._off_min_c = self.smooth_c
            rate = self.rate_c_s(RATE_WINDOW_S)
            on_way = max(rate * self.coast_s, self._full_rate() * self.on_s(self.coast_s))
            self._allowance_c = self.weld_base_c + on_way
        self._off_ms += dt
        if self._step_ms > 0:  # poured-in heat settling: the baseline moves up with it
            self._step_ms -= dt
            self._off_min_c = self.smooth_c
            return None
        if self.smooth_c < self._off_min_c:
            self._off_min_c = self.smooth_c
        if self._off_ms >= WELD_MIN_OFF_MS and self.smooth_c - self._off_min_c > self._allowance_c:
            return self.level.suspect_weld(self.smooth_c)
        return None

    def _full_rate(self):
        """How fast full power heats this bath, at most: the bath model's slope or an earlier
        heat-up's (or the fastest rise seen since the reset, if more), else the fastest full
        bath of the range.
        Before a window has judged a full-power stretch the rate is unknown, and a pulse
        shorter than the window (autotune's approach from a hot bath, a start near the
        target) coasts on after it while its heat mixes in: taken as 0, that coast latched
        SSR_WELDED on healthy baths (issue 15)."""
        for k in (self.ramp_k_c_s, self.remembered_k_c_s):
            if k > 0.0:
                return k if k > self.full_rate_c_s else self.full_rate_c_s
        # No slope of this bath known: a window's rate may have judged the lag (a relay pulse
        # from a hot bath just powered on) and be far below the bath's.
        return FASTEST_FULL_BATH_C_S

    def _take_sample(self, temp_c):
        size = len(self.temps)
        self.temps[self.pos] = self.smooth_c
        self.duties[self.pos] = self._on_ms / self._sample_ms
        self.pos = (self.pos + 1) % size
        if self._n < size:
            self._n += 1
        self._sample_ms = 0
        self._on_ms = 0
        if self._fast_prev_c is not None and not self._stepped and (
                temp_c - self._fast_prev_c) > self._step_rate_c_s() * 2 * SAMPLE_MS / 1000.0:
            self._step_ms = STEP_SETTLE_MS
            self._stepped = True
            self.level.step_seen(self.smooth_c)
        surge = SURGE_RATIO * self.ramp_k_c_s if self.ramp_k_c_s > 0.0 else SURGE_UNKNOWN_C_S
        if surge < SURGE_C_S:
            surge = SURGE_C_S
        if self._fast_prev_c is not None and (
                temp_c - self._fast_prev_c) > surge * 2 * SAMPLE_MS / 1000.0:
            self._surge_ms = STEP_SETTLE_MS
        elif self._surge_ms > 0:
            self._surge_ms -= SAMPLE_MS
        if self._fast_prev_c is not None and (
                temp_c - self._fast_prev_c) > STEP_RATE_C_S * 2 * SAMPLE_MS / 1000.0:
            self.poured = True  # faster than any heater of the range: not the bath's slope
        if self._blind_ms > 0:
            self._blind_ms -= SAMPLE_MS
        if self._fast_prev_c is not None and (
                self._fast_prev_c - temp_c) > FALL_RATE_C_S * 2 * SAMPLE_MS / 1000.0:
            # At a hold of a powerful bath, 1 L left under a probe in the air heats past the
            # limit within 20 s of the full power the PID answers this fall with: 62.8 C
            # before the full bath's 37 s window judged.
            if self._blind_ms <= 0:
                top = self.smooth_c
                for i in range(1, min(self._n, FALL_TOP_SAMPLES) + 1):
                    t = self.temps[(self.pos - i) % size]
                    if t > top:
                        top = t
                self._fall_top_c = top
            self._blind_ms = BLIND_MS
        self._fast_prev_c, self._fast_c = self._fast_c, temp_c
        if self._fresh < 1 << 30:
            self._fresh += 1
        if self._regain_c is not None:
            if not self.holding and temp_c >= self._regain_c:
                self._regain_c = None  # back where the hold began: the episode is over
            else:
                self._episode_c += FASTEST_FULL_BATH_C_S * self.duties[(self.pos - 1) % size] \
                    * SAMPLE_MS / 1000.0
        code = self._capped_check()
        if code is not None:
            return code
        if self.level.phase:
            # The test has the heater: the heating watch cannot judge its windows, but a weld
            # under the test's own duty must still show.
            return None if self.level.judging_weld() else self._weld_by_model()
        return self._heating_watch() or self._slow_watch() or self._low_water() or \
            self._weld_by_model()

    def _heating_watch(self):
        size = len(self.temps)
        back = int(self.window_s() * 1000 // SAMPLE_MS)
        if back > size - 1:
            back = size - 1
        if self._n <= back or self._fresh <= back:
            return None
        on = 0.0
        low = self.smooth_c
        for i in range(1, back + 1):
            j = (self.pos - i) % size
            on += self.duties[j]
            if self.temps[j] < low:
                low = self.temps[j]
        low_then = self.temps[(self.pos - 1 - back) % size]
        if low_then < low:
            low = low_then
        duty = on / back
        if duty >= WATCH_DUTY:
            if self.smooth_c - low < self.watch_rise_c or self._ramp_broke():
                return self._start_hold(on)
            rate = (self.smooth_c - low_then) / (back * SAMPLE_MS / 1000.0) / duty
            if rate > self.full_rate_c_s:
                self.full_rate_c_s = min(rate, self.max_rate_c_s)
        return None

    def _capped_check(self):
        """Held at the controller's power cap, under the heating watch's bar, the reading has
        not turned up for ``CAPPED_S``: does the heat show at all? The heater **rests**
        (``resting``) for ``REST_S``, and the slope with it off is set against the slope at
        the cap: a working element's heat made the difference (the cap's duty times the
        heat-up's slope); a dead one's, or a probe's out of the water, none, and
        HEATING_WATCH latches. Not a hold: a weak heater with the lid off is held at the cap
        without gaining, and a pulse's answer (tried) drowned in the drift it was measured
        on; two slopes over minutes do not. Not sooner: cold stones under the cap fall for a
        minute or two before the heat turns them."""
        if self.resting:
            self._rest_ms += SAMPLE_MS
            if self.smooth_c < self._capped_low_c:
                self._capped_low_c = self.smooth_c
            elif self.smooth_c > self._capped_low_c + REST_RISE_C:
                self._end_rest(0)  # heat poured in (a hot top-up): no verdict, ask again
                return None
            if self._rest_ms < REST_S * 1000:
                return None
            known = self._n > CAPPED_SPAN_S * 1000 // SAMPLE_MS
            off = self.rate_c_s(CAPPED_SPAN_S)
            self._end_rest(CAPPED_EVERY_S)
            if known and self._on_rate - off < CAPPED_SHARE_SHOWN * self._expected:
                return HEATING_WATCH
            return None
        if self._capped_wait_ms > 0:
            self._capped_wait_ms -= SAMPLE_MS
        # The SSR's windows do not line up with the samples, nor a relay's 60 s ones: the
        # mean over CAPPED_MEAN_S.
        d = self.on_s(CAPPED_MEAN_S) / CAPPED_MEAN_S
        if self.level.phase or self.holding or self._capped_wait_ms > 0 or not (
                self.ceiling < WATCH_DUTY and d >= CAPPED_SHARE * self.ceiling):
            self._capped_ms = 0
            self._capped_low_c = self.smooth_c
            return None
        if self.smooth_c < self._capped_low_c:
            self._capped_low_c = self.smooth_c
        elif self.smooth_c > self._capped_low_c + HOLD_RISE_C:
            self._capped_ms = 0  # it turned up: the heat shows
            self._capped_low_c = self.smooth_c
            return None
        self._capped_ms += SAMPLE_MS
        if self._capped_ms < CAPPED_S * 1000:
            return None
        if self._n <= CAPPED_SPAN_S * 1000 // SAMPLE_MS:
            return None
        on = self.rate_c_s(CAPPED_SPAN_S)
        k = self.ramp_k_c_s if self.ramp_k_c_s > 0.0 else (
            self.remembered_k_c_s if self.remembered_k_c_s > 0.0 else SLOWEST_FULL_BATH_C_S)
        self._on_rate = on
        self._expected = k * self.on_s(CAPPED_SPAN_S) / CAPPED_SPAN_S
        self.resting = True
        self._rest_ms = 0
        self._capped_low_c = self.smooth_c
        return None

    def _end_rest(self, wait_s):
        self.resting = False
        self._capped_ms = 0
        self._capped_wait_ms = wait_s * 1000
        self._capped_low_c = self.smooth_c

    def _step_rate_c_s(self):
        """How fast a rise must be to be heat poured in rather than the heater's: faster than
        the fastest full bath of the range, or, once the heat-up has shown this bath's own
        full-power slope, ``STEP_MODEL_RATIO`` times that (a big bath's heater cannot make a
        1 L top-up's step). Only one step is granted per stretch with the SSR off, so a model
        wrong by that much delays the weld checks by ``STEP_SETTLE_MS`` once, no more."""
        if self.ramp_k_c_s <= 0.0:
            return STEP_RATE_C_S
        rate = STEP_MODEL_RATIO * self.ramp_k_c_s
        if rate < STEP_FLOOR_C_S:
            return STEP_FLOOR_C_S
        return rate if rate < STEP_RATE_C_S else STEP_RATE_C_S

    def _ramp_broke(self):
        """At full power for ``RAMP_CHECK_S``, the reading rose less than ``RAMP_SHARE`` of the
        slope this heat-up has shown: the probe no longer sees the bath it was heating."""
        size = len(self.temps)
        back = RAMP_CHECK_S * 1000 // SAMPLE_MS
        if self.ramp_k_c_s <= 0.0 or back > size - 1 or self._n <= back or self._fresh <= back:
            return False
        for i in range(1, back + 1):
            if self.duties[(self.pos - i) % size] < FULL_DUTY:
                return False
        then = self.temps[(self.pos - 1 - back) % size]
        return self.smooth_c - then < RAMP_SHARE * self.ramp_k_c_s * RAMP_CHECK_S

    def _slow_watch(self):
        """Minutes at full power slower than this heat-up's slope or an earlier one's, for
        ``SLOW_S`` in all, latch. The holds between them do not count, nor clear: in the air
        the reading creeps on with the heater off, and each hold would end at once."""
        own = self._slower_than(self.ramp_k_c_s, self.ramp_lag_s)
        old = None
        if self._full_ms < REMEMBERED_FOR_S * 1000:
            old = self._slower_than(self.remembered_k_c_s, self.remembered_lag_s)
        if self.duties[(self.pos - 1) % len(self.duties)] >= FULL_DUTY and \
                self._full_ms < COUNT_CAP_MS:
            self._full_ms += SAMPLE_MS
        if own or old:
            self._slow_ms += SAMPLE_MS
            need_s = SLOW_S if own else REMEMBERED_SLOW_S
            return HEATING_WATCH if self._slow_ms >= need_s * 1000 else None
        if own is not None or old is not None or (not self.holding and
                                                  self.on_s(RAMP_CHECK_S) < 0.5 * RAMP_CHECK_S):
            self._slow_ms = 0  # the bath took the heat, or the PID holds the heater back
        return None

    def _slower_than(self, k, lag_s):
        """None if it cannot tell (no slope, not at full power for ``lag_s`` and
        ``RAMP_CHECK_S``); else whether the reading rose less than ``RAMP_SHARE`` of ``k``
        over the last ``RAMP_CHECK_S``. A bath heats 0.5x an earlier heat-up's slope at worst
        (mains -10 % against +10 %, 5 kg of stones more on 3 L); the air above it, a quarter
        of the water's rise."""
        if k <= 0.0 or not self.full_for(lag_s + RAMP_CHECK_S):
            return None
        rise = self.rise_c(RAMP_CHECK_S)
        if rise is None:
            return None
        return rise < RAMP_SHARE * k * RAMP_CHECK_S

    def _start_hold(self, on):
        if self.holding:
            return None
        # The hold of a window sized for 1 L left: an episode opens as for any hold, but its
        # release ends it (_hold_check). In the air the reading goes on falling through the
        # hold, towards a point between the room and the water, so nothing releases it.
        self._soft_hold = self._blind_ms > 0
        if self._regain_c is not None:
            return HEATING_WATCH  # a second hold in one episode: nothing showed
        self.holding = True
        self._hold_ms = 0
        self._hold_low_c = self.smooth_c
        # Where the reading is now, not the slow average that still lags a fall behind it.
        self._regain_c = self._fast_c if self._fast_c is not None else self.smooth_c
        top = self.smooth_c
        size = len(self.temps)
        for i in range(1, self._n + 1):
            t = self.temps[(self.pos - i) % size]
            if t > top:
                top = t
        self._episode_c = top + FASTEST_FULL_BATH_C_S * on * SAMPLE_MS / 1000.0
        return None

    def _weld_by_model(self):
        """With the heat-up's slope known: the SSR has been asked for little for longer than
        the heat takes to show, yet the reading climbs at most of the full-power slope. Only a
        welded SSR heats like that (heat poured in is a step, and the step check waits it out);
        the off-time check below cannot see it while the PID still pulses."""
        if self.ramp_k_c_s <= 0.0 or self._step_ms > 0:
            return None
        size = len(self.temps)
        window = WELD_WINDOW_S * 1000 // SAMPLE_MS
        span = int((self.ramp_lag_s + WELD_TAIL_S) * 1000 // SAMPLE_MS) + window
        if span > size - 1 or self._n <= span:  # a shorter span would judge the coast
            return None
        on = 0.0
        for i in range(1, span + 1):
            on += self.duties[(self.pos - i) % size]
        if on > WELD_MAX_DUTY * span:
            return None
        rise = self.smooth_c - self.temps[(self.pos - 1 - window) % size]
        if rise >= self.weld_base_c and rise >= WELD_SHARE * self.ramp_k_c_s * WELD_WINDOW_S:
            return self.level.suspect_weld(self.smooth_c)
        return None

    def _low_water(self):
        size = len(self.temps)
        back = LOW_WATER_SPAN_S * 1000 // SAMPLE_MS
        if back > size - 1:
            back = size - 1
        if self._n <= back:
            return None
        for i in range(1, back + 1):
            if self.duties[(self.pos - i) % size] < FULL_DUTY:
                return None
        then = self.temps[(self.pos - 1 - back) % size]
        if (self.smooth_c - then) / (back * SAMPLE_MS / 1000.0) > self.max_rate_c_s:
            return LOW_WATER
        return None

    def held(self):
        """How many samples the ring holds."""
        return self._n

    def rise_c(self, over_s):
        """How much the slow reading rose over the last ``over_s`` seconds; None if unknown."""
        back = int(over_s * 1000 // SAMPLE_MS)
        if back < 1 or self._n <= back:
            return None
        return self.smooth_c - self.temps[(self.pos - 1 - back) % len(self.temps)]

    def swings(self, over_s, step_c):
        """How often the slow reading of the last ``over_s`` turned, each move between turns
        at least ``step_c``: a swing goes up and down again, a step of poured-in heat or a
        recovery from cold stones turns once at most."""
        back = min(int(over_s * 1000 // SAMPLE_MS), self._n)
        size = len(self.temps)
        turns = 0
        rising = 0  # the direction since the last turn: 1 up, -1 down, 0 not yet known
        extreme = self.temps[(self.pos - back) % size] if back else self.smooth_c
        for i in range(back - 1, -1, -1):
            t = self.temps[(self.pos - 1 - i) % size] if i else self.smooth_c
            if rising > 0 and t > extreme or rising < 0 and t < extreme:
                extreme = t  # further the same way
            elif abs(t - extreme) >= step_c:
                if rising:
                    turns += 1
                rising = 1 if t > extreme else -1
                extreme = t
        return turns

    def stepping(self):
        """Whether heat poured in is still settling (the weld checks wait for it)."""
        return self._step_ms > 0

    def surging(self):
        """Whether a rise steeper than any full bath's heater makes is settling."""
        return self._surge_ms > 0

    def full_for(self, over_s):
        """Whether the SSR ran at full power for all of the last ``over_s`` seconds."""
        back = int(over_s * 1000 // SAMPLE_MS)
        size = len(self.duties)
        if back > size or self._n < back:
            return False
        for i in range(1, back + 1):
            if self.duties[(self.pos - i) % size] < FULL_DUTY:
                return False
        return True

    def on_s(self, over_s):
        """Seconds the SSR was on in the last ``over_s`` seconds of samples."""
        back = min(int(over_s * 1000 // SAMPLE_MS), self._n)
        size = len(self.duties)
        on = 0.0
        for i in range(1, back + 1):
            on += self.duties[(self.pos - i) % size]
        return on * SAMPLE_MS / 1000.0 + self._on_ms / 1000.0

    def rate_c_s(self, over_s):
        """How fast the smoothed reading rose over the last ``over_s`` seconds (0 if unknown)."""
        back = int(over_s * 1000 // SAMPLE_MS)
        size = len(self.temps)
        if back < 1 or self._n <= back:
            return 0.0
        then = self.temps[(self.pos - 1 - back) % size]
        return (self.temps[(self.pos - 1) % size] - then) / (back * SAMPLE_MS / 1000.0)
