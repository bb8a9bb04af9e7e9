"""Recent history: one sample of the bath every ``period_s``, in a fixed ring of compact arrays.

Sized for the ESP32: an hour at 10 s is 360 samples in about 2.5 KB, allocated once. Each sample
has a sequence number (samples since boot), so a host reading the ring page by page never
misses or repeats a sample while new ones arrive.
"""

from array import array

from .ticks import next_on_grid, ticks_diff

NO_TEMP = -32768  # a sample without a trusted reading


def zeros(typecode, size):
    """An array of ``size`` zeros, without the list of ``size`` numbers that
    ``array(typecode, [0] * size)`` builds first (2.9 KB in one block for the history on a
    64-bit port: a large contiguous block is what a fragmented heap lacks)."""
    a = array(typecode, range(size))  # sized from the range's length, filled in place
    for i in range(size):
        a[i] = 0
    return a


class History:
    def __init__(self, states, period_s=10, size=360):
        """``states``: the controller's ``STATES``, each stored as its index (one byte)."""
        self.states = states
        self.period_s = period_s
        self.size = size
        self._temp = zeros("h", size)  # centi-degrees C
        self._target = zeros("h", size)
        self._duty = zeros("h", size)  # per mille
        self._state = bytearray(size)
        self.count = 0  # samples recorded since boot; the newest is ``count - 1``
        self._next_ms = None

    def record(self, now_ms, temp_c, target_c, duty, state):
        """Called every tick; keeps one sample per period."""
        if self._next_ms is None:
            self._next_ms = now_ms
        if ticks_diff(now_ms, self._next_ms) < 0:
            return
        # Sample n was taken about n periods after the first.
        self._next_ms = next_on_grid(self._next_ms, now_ms, self.period_s * 1000)
        i = self.count % self.size
        self._temp[i] = NO_TEMP if temp_c is None else int(round(temp_c * 100))
        self._target[i] = int(round(target_c * 100))
        self._duty[i] = int(round(duty * 1000))
        self._state[i] = self.states.index(state)
        self.count += 1

    def oldest(self):
        """Sequence number of the oldest sample still held."""
        return max(0, self.count - self.size)

    def page(self, first, limit):
        """Up to ``limit`` samples from sequence number ``first`` on (the oldest held, if it is
        gone), each ``[seq, temp_c or None, target_c, duty, state]``."""
        first = max(first, self.oldest())
        out = []
        seq = first
        while seq < self.count and len(out) < limit:
            i = seq % self.size
            t = self._temp[i]
            out.append([seq, None if t == NO_TEMP else t / 100, self._target[i] / 100,
                         self._duty[i] / 1000, self.states[self._state[i]]])
            seq += 1
        return out
