"""A simulated MAX31855 that produces the chip's real 32-bit frames.

What the chip reports is computed the way the chip computes it: the thermocouple's EMF between
the hot junction and the cold junction (NIST type K), divided by the chip's linear
41.276 uV/C, plus the cold-junction temperature; then noise and 14-bit quantisation (0.25 C).
The cold junction is 12-bit (0.0625 C). Faults set D2..D0 and D16 as the datasheet says.
"""

import random

from ..firmware.thermocouple import (
    CHIP_SEEBECK_MV_PER_C,
    FAULT_OPEN,
    FAULT_SHORT_GND,
    FAULT_SHORT_VCC,
    type_k_emf_mv,
)

# What each injected sensor fault makes the chip send (see sim/faults.py).
_FAULT_BITS = {"tc-open": FAULT_OPEN, "short-gnd": FAULT_SHORT_GND, "short-vcc": FAULT_SHORT_VCC}
BROKEN_COLD_JUNCTION_C = 127.9375  # the 12-bit cold junction's highest reading

# The simulated chip needs EMF(probe) every tick. Between these bounds it is interpolated from
# the firmware's own NIST function sampled every 0.05 C: the error is about 1e-8 mV (0.3 uC),
# and a run is about 10 % faster. The firmware itself always computes exactly.
_TABLE_LOW_C, _TABLE_HIGH_C, _TABLE_STEP_C = -20.0, 150.0, 0.05
_TABLE = [type_k_emf_mv(_TABLE_LOW_C + i * _TABLE_STEP_C)
          for i in range(int((_TABLE_HIGH_C - _TABLE_LOW_C) / _TABLE_STEP_C) + 2)]


def _emf_mv(t_c):
    if not (_TABLE_LOW_C <= t_c < _TABLE_HIGH_C):
        return type_k_emf_mv(t_c)
    x = (t_c - _TABLE_LOW_C) / _TABLE_STEP_C
    i = int(x)
    a = _TABLE[i]
    return a + (_TABLE[i + 1] - a) * (x - i)


def encode_max31855(tc_c, cj_c, fault_bits=0):
    """The frame a MAX31855 sends for these values (rounded to its resolution)."""
    tc = int(round(tc_c / 0.25))
    tc = max(-(1 << 13), min((1 << 13) - 1, tc)) & 0x3FFF
    cj = int(round(cj_c / 0.0625))
    cj = max(-(1 << 11), min((1 << 11) - 1, cj)) & 0xFFF
    frame = (tc << 18) | (cj << 4) | (fault_bits & 7)
    if fault_bits & 7:
        frame |= 1 << 16
    return frame


def encode_max6675(tc_c, open_circuit=False):
    """The frame a MAX6675 sends for this temperature (0 to 1023.75 C)."""
    t = max(0, min(0xFFF, int(round(tc_c / 0.25))))
    return (t << 3) | (4 if open_circuit else 0)


class SimulatedMax31855:
    def __init__(self, seed=0, noise_c=0.1, bias_c=0.0, glitch_rate=0.0):
        self.rng = random.Random(seed)
        self.noise_c = noise_c
        self.bias_c = bias_c
        # Healthy wiring still fails now and then: this share of reads is a glitch.
        self.glitch_rate = glitch_rate
        self._cj_c = None
        self._cj_mv = 0.0
        self._cj_bits = 0  # the frame's cold-junction field, for the cold junction last seen
        self.fault = None  # the name of an injected sensor fault, if any
        self._frozen_frame = None

    def reported(self, hot_c, cj_c):
        """The chip's linear thermocouple temperature before noise and quantisation."""
        if cj_c != self._cj_c:
            self._cj_c = cj_c
            self._cj_mv = type_k_emf_mv(cj_c)
            self._cj_bits = encode_max31855(0.0, cj_c)
        return (_emf_mv(hot_c) - self._cj_mv) / CHIP_SEEBECK_MV_PER_C + cj_c

    def frame(self, probe_c, board_c):
        if self.fault is not None:
            return self._faulty_frame(probe_c, board_c)
        if self.glitch_rate and self.rng.random() < self.glitch_rate:
            return self._glitch(board_c)
        return self._healthy_frame(probe_c, board_c)

    def _healthy_frame(self, probe_c, board_c):
        tc = self.reported(probe_c + self.bias_c, board_c)
        if self.noise_c:
            tc += self.rng.gauss(0.0, self.noise_c)
        # encode_max31855, with the cold-junction field already made (it rarely changes)
        counts = int(round(tc * 4.0))
        if not -8192 <= counts <= 8191:
            return encode_max31855(tc, board_c)
        return ((counts & 0x3FFF) << 18) | self._cj_bits

    def _glitch(self, board_c):
        """A read gone wrong as wiring makes it go wrong: a contact that opens for an instant
        (most often), or an SPI transfer that saw only ones or only zeros."""
        r = self.rng.random()
        if r < 0.6:
            return encode_max31855(0.0, board_c, FAULT_OPEN)
        return 0xFFFFFFFF if r < 0.8 else 0

    def _faulty_frame(self, probe_c, board_c):
        fault = self.fault
        if fault in _FAULT_BITS:
            return encode_max31855(0.0, board_c, _FAULT_BITS[fault])
        if fault == "spi-high":
            return 0xFFFFFFFF
        if fault == "spi-low":
            return 0
        if fault == "cold-junction":
            return encode_max31855(self.reported(probe_c, board_c), BROKEN_COLD_JUNCTION_C)
        if fault == "intermittent" and self.rng.random() < 0.1:
            return encode_max31855(0.0, board_c, FAULT_OPEN)
        if fault == "frozen":
            if self._frozen_frame is None:
                self._frozen_frame = self._healthy_frame(probe_c, board_c)
            return self._frozen_frame
        return self._healthy_frame(probe_c, board_c)
