"""A simulated MAX31855 that produces the chip's real 32-bit frames.

What the chip reports is computed the way the chip computes it: the thermocouple's EMF between
the hot junction and the cold junction (NIST type K), divided by the chip's linear
41.276 uV/C, plus the cold-junction temperature; then noise and 14-bit quantisation (0.25 C).
The cold junction is 12-bit (0.0625 C). Faults set D2..D0 and D16 as the datasheet says.
"""

import random

from ..firmware.thermocouple import CHIP_SEEBECK_MV_PER_C, type_k_emf_mv


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
    def __init__(self, seed=0, noise_c=0.1, bias_c=0.0):
        self.rng = random.Random(seed)
        self.noise_c = noise_c
        self.bias_c = bias_c
        self._cj_c = None
        self._cj_mv = 0.0

    def reported(self, hot_c, cj_c):
        """The chip's linear thermocouple temperature before noise and quantisation."""
        if cj_c != self._cj_c:
            self._cj_c = cj_c
            self._cj_mv = type_k_emf_mv(cj_c)
        return (type_k_emf_mv(hot_c) - self._cj_mv) / CHIP_SEEBECK_MV_PER_C + cj_c

    def frame(self, probe_c, board_c):
        tc = self.reported(probe_c + self.bias_c, board_c)
        if self.noise_c:
            tc += self.rng.gauss(0.0, self.noise_c)
        return encode_max31855(tc, board_c)
