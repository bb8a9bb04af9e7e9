"""Sensor frames for tests, made the way the real chips make them."""

from stoneheat.sim.sensor import SimulatedMax31855, encode_max31855

_CHIP = SimulatedMax31855(seed=0, noise_c=0.0)
BOARD_C = 25.0


def max31855_frame(water_c, board_c=BOARD_C):
    """A healthy MAX31855 frame for a probe at ``water_c``."""
    return encode_max31855(_CHIP.reported(water_c, board_c), board_c)


def faulty_frame(bits):
    return encode_max31855(0.0, BOARD_C, bits)
