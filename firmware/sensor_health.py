"""Whether the sensor can still be trusted, read by read.

A lone bad read (a glitch) only turns the heater off for that tick. A fault latches when
``in_a_row`` reads in a row are bad (a broken probe: 4 reads, 0.75 s after the first), or when
``WINDOW_BAD`` of the last ``WINDOW_READS`` were bad: a loose connector failing 1 read in 10
trips in about 25 s, while a healthy wire with 0.5 % glitches would trip about once in
140 000 eight-hour days.

A frozen reading is a frame that stays bit-for-bit the same for ``frozen_ms``, in any state
and at any duty. A live MAX31855's noise (sigma about 0.1 C on 0.25 C steps) moves its
14-bit reading: at the worst, a true value in the middle of a step, a read stays on the same
step with a chance of 0.79, so 120 reads (30 s) in a row come once in 2e12 tries, about once
in 50 million 8-hour days. An earlier version also asked for the heater to be on; at a hold
just above the target the duty is 0, and a chip frozen there hid a welded SSR (issue 13).
"""

WINDOW_READS = 120  # 30 s at 4 reads a second
WINDOW_BAD = 10


class SensorHealth:
    def __init__(self, in_a_row=4, frozen_ms=30000):
        self.in_a_row = in_a_row
        self.frozen_ms = frozen_ms
        self._ring = bytearray(WINDOW_READS)  # 1 where a read was bad
        self._pos = 0
        self.bad_in_window = 0
        self.bad_in_a_row = 0
        self._same_frame = None
        self._same_ms = 0

    def _record(self, bad):
        old = self._ring[self._pos]
        self._ring[self._pos] = bad
        self._pos = (self._pos + 1) % WINDOW_READS
        self.bad_in_window += bad - old

    def bad_read(self):
        """Count a bad read; True when the sensor is now to be declared faulty."""
        self._record(1)
        self.bad_in_a_row += 1
        return self.bad_in_a_row >= self.in_a_row or self.bad_in_window >= WINDOW_BAD

    def intermittent(self):
        """Whether the rate of bad reads, rather than a run of them, is what tripped. Ten bad
        in a row are a run, whatever ``in_a_row`` asks for (up to 15): a probe that opened is
        TC_OPEN, not a loose connector."""
        return self.bad_in_a_row < self.in_a_row and self.bad_in_a_row < WINDOW_BAD

    def good_read(self, frame, dt):
        """Count a good read ``dt`` ms after the last; True when the reading has frozen. Runs
        every tick: kept lean."""
        pos = self._pos
        if self._ring[pos]:
            self._ring[pos] = 0
            self.bad_in_window -= 1
        pos += 1
        self._pos = 0 if pos == WINDOW_READS else pos
        self.bad_in_a_row = 0
        if frame != self._same_frame:  # the usual case: noise moves a live chip's frame
            self._same_frame = frame
            self._same_ms = 0
            return False
        self._same_ms += dt
        return self._same_ms >= self.frozen_ms

    def reset(self):
        self.__init__(self.in_a_row, self.frozen_ms)
