"""Thermocouple amplifier frames (MAX31855, MAX6675) and NIST ITS-90 type K linearisation.

Decoding follows the datasheets bit for bit. The MAX31855 does not linearise: it reports
``(EMF(hot) - EMF(cold junction)) / 41.276 uV + T(cold junction)``, which is about 0.2 C low at
55 C. ``linearize_k`` undoes that approximation with the NIST reference functions.
"""

import math

# Fault bits D2..D0 of a MAX31855 frame (the MAX6675 only has the open-circuit one).
FAULT_OPEN = 1
FAULT_SHORT_GND = 2
FAULT_SHORT_VCC = 4

# The chips' linear approximation of the type K Seebeck coefficient, in mV per C.
CHIP_SEEBECK_MV_PER_C = 0.041276

# NIST ITS-90 type K reference functions (NIST Monograph 175), temperature in C, EMF in mV.
_EMF_BELOW_0 = (
    0.0, 0.394501280250e-01, 0.236223735980e-04, -0.328589067840e-06, -0.499048287770e-08,
    -0.675090591730e-10, -0.574103274280e-12, -0.310888728940e-14, -0.104516093650e-16,
    -0.198892668780e-19, -0.163226974860e-22,
)
_EMF_ABOVE_0 = (
    -0.176004136860e-01, 0.389212049750e-01, 0.185587700320e-04, -0.994575928740e-07,
    0.318409457190e-09, -0.560728448890e-12, 0.560750590590e-15, -0.320207200030e-18,
    0.971511471520e-22, -0.121047212750e-25,
)
_EXP_A0 = 0.118597600000
_EXP_A1 = -0.118343200000e-03
_EXP_A2 = 0.126968600000e03

# Inverse functions (EMF in mV to C), each with the upper end of its EMF range.
_INVERSE = (
    (0.0, (0.0, 2.5173462e01, -1.1662878, -1.0833638, -8.9773540e-01, -3.7342377e-01,
           -8.6632643e-02, -1.0450598e-02, -5.1920577e-04)),
    (20.644, (0.0, 2.508355e01, 7.860106e-02, -2.503131e-01, 8.315270e-02, -1.228034e-02,
              9.804036e-04, -4.413030e-05, 1.057734e-06, -1.052755e-08)),
    (1e9, (-1.318058e02, 4.830222e01, -1.646031, 5.464731e-02, -9.650715e-04, 8.802193e-06,
           -3.110810e-08)),
)


def _sign_extend(value, bits):
    if value & (1 << (bits - 1)):
        value -= 1 << bits
    return value


def _horner(coeffs):
    """Coefficients from the highest power down, for Horner's rule."""
    return tuple(reversed(coeffs))


def _slope(coeffs):
    """Coefficients of the derivative, from the highest power down."""
    return tuple(reversed([i * coeffs[i] for i in range(1, len(coeffs))]))


def _poly(high_first, x):
    acc = 0.0
    for c in high_first:
        acc = acc * x + c
    return acc


_EMF_BELOW_0_H = _horner(_EMF_BELOW_0)
_EMF_ABOVE_0_H = _horner(_EMF_ABOVE_0)
_SLOPE_BELOW_0_H = _slope(_EMF_BELOW_0)
_SLOPE_ABOVE_0_H = _slope(_EMF_ABOVE_0)
_INVERSE_H = tuple((top, _horner(coeffs)) for top, coeffs in _INVERSE)


def decode_max31855(frame):
    """Decode a 32-bit MAX31855 frame into ``(tc_c, cj_c, fault_bits)``.

    ``tc_c`` is the chip's (linear) thermocouple temperature, 0.25 C steps; ``cj_c`` its cold
    junction, 0.0625 C steps; ``fault_bits`` are D2..D0 (SCV, SCG, OC), 0 when healthy. Whether
    the frame as a whole can be trusted is ``controller.read_max31855``'s business.
    """
    frame &= 0xFFFFFFFF
    tc_c = _sign_extend(frame >> 18, 14) * 0.25
    cj_c = _sign_extend((frame >> 4) & 0xFFF, 12) * 0.0625
    return tc_c, cj_c, frame & 7


def decode_max6675(frame):
    """Decode a 16-bit MAX6675 frame into ``(tc_c, fault_bits)``.

    ``tc_c`` is 12 bits of 0.25 C (0 to 1023.75 C, cold-junction compensated by the chip);
    ``fault_bits`` is ``FAULT_OPEN`` when D2 reports an open thermocouple, else 0.
    """
    frame &= 0xFFFF
    return ((frame >> 3) & 0xFFF) * 0.25, (FAULT_OPEN if frame & 4 else 0)


def type_k_emf_mv(t_c):
    """NIST ITS-90 type K EMF (mV, reference junction at 0 C) of a junction at ``t_c``."""
    if t_c < 0.0:
        return _poly(_EMF_BELOW_0_H, t_c)
    d = t_c - _EXP_A2
    return _poly(_EMF_ABOVE_0_H, t_c) + _EXP_A0 * math.exp(_EXP_A1 * d * d)


def _newton_step(t_c, emf_mv):
    """One Newton step on ``type_k_emf_mv(t) = emf_mv`` from ``t_c`` (EMF and slope share one exp)."""
    if t_c < 0.0:
        emf = _poly(_EMF_BELOW_0_H, t_c)
        slope = _poly(_SLOPE_BELOW_0_H, t_c)
    else:
        d = t_c - _EXP_A2
        g = _EXP_A0 * math.exp(_EXP_A1 * d * d)
        emf = _poly(_EMF_ABOVE_0_H, t_c) + g
        slope = _poly(_SLOPE_ABOVE_0_H, t_c) + 2.0 * _EXP_A1 * d * g
    return t_c - (emf - emf_mv) / slope


def type_k_temp_c(emf_mv):
    """Temperature (C) of a type K junction with EMF ``emf_mv`` against 0 C.

    The NIST inverse polynomial is only good to +-0.05 C, so one Newton step on the reference
    function follows; the result then agrees with the forward function to well under 0.001 C.
    """
    for top, coeffs in _INVERSE_H:
        if emf_mv <= top:
            return _newton_step(_poly(coeffs, emf_mv), emf_mv)


# The cold junction moves in 0.0625 C steps and slowly: remember its EMF between ticks.
_cj_cache = [None, 0.0]


def linearize_k(tc_c, cj_c):
    """True hot-junction temperature from what a MAX31855 reports (``tc_c``, ``cj_c``)."""
    cache = _cj_cache
    if cache[0] != cj_c:
        cache[1] = type_k_emf_mv(cj_c)
        cache[0] = cj_c
    return type_k_temp_c((tc_c - cj_c) * CHIP_SEEBECK_MV_PER_C + cache[1])
