"""Frame decoding against the datasheets' tables; linearisation against NIST ITS-90."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from thermocouple_its90 import TypeK

from stoneheat.firmware.thermocouple import (
    CHIP_SEEBECK_MV_PER_C,
    FAULT_OPEN,
    FAULT_SHORT_GND,
    FAULT_SHORT_VCC,
    decode_max31855,
    decode_max6675,
    linearize_k,
    type_k_emf_mv,
    type_k_temp_c,
)
from stoneheat.sim.sensor import encode_max31855, encode_max6675

# MAX31855 datasheet, Table 2 "Thermocouple Temperature Data Format": 14-bit word D31..D18.
MAX31855_TC_ROWS = [
    (1600.00, "01 1001 0000 0000"),
    (1000.00, "00 1111 1010 0000"),
    (100.75, "00 0001 1001 0011"),
    (25.00, "00 0000 0110 0100"),
    (0.00, "00 0000 0000 0000"),
    (-0.25, "11 1111 1111 1111"),
    (-1.00, "11 1111 1111 1100"),
    (-250.00, "11 1100 0001 1000"),
]
# MAX31855 datasheet, Table 4 "Reference Junction Temperature Data Format": 12-bit word D15..D4.
MAX31855_CJ_ROWS = [
    (127.0000, "0111 1111 0000"),
    (100.5625, "0110 0100 1001"),
    (25.0000, "0001 1001 0000"),
    (0.0000, "0000 0000 0000"),
    (-0.0625, "1111 1111 1111"),
    (-1.0000, "1111 1111 0000"),
    (-20.0000, "1110 1100 0000"),
    (-55.0000, "1100 1001 0000"),
]


def _bits(s):
    return int(s.replace(" ", ""), 2)


@pytest.mark.parametrize("temp_c, word", MAX31855_TC_ROWS)
def test_max31855_thermocouple_rows(temp_c, word):
    tc_c, cj_c, faults = decode_max31855(_bits(word) << 18)
    assert (tc_c, cj_c, faults) == (temp_c, 0.0, 0)


@pytest.mark.parametrize("temp_c, word", MAX31855_CJ_ROWS)
def test_max31855_cold_junction_rows(temp_c, word):
    tc_c, cj_c, faults = decode_max31855(_bits(word) << 4)
    assert (tc_c, cj_c, faults) == (0.0, temp_c, 0)


@pytest.mark.parametrize("bits, expected", [(1, FAULT_OPEN), (2, FAULT_SHORT_GND), (4, FAULT_SHORT_VCC), (7, 7)])
def test_max31855_fault_bits_are_d2_to_d0(bits, expected):
    frame = (_bits("00 0000 0110 0100") << 18) | (1 << 16) | (_bits("0001 1001 0000") << 4) | bits
    assert decode_max31855(frame) == (25.0, 25.0, expected)


def test_max31855_all_ones_sets_every_fault_bit():
    assert decode_max31855(0xFFFFFFFF) == (-0.25, -0.0625, 7)


def test_max31855_all_zeros_reads_zero_with_no_fault_bit():
    # The hazard DOMAIN.md names: the decoder alone cannot tell; the controller must.
    assert decode_max31855(0) == (0.0, 0.0, 0)


# MAX6675 datasheet: D15 dummy sign bit, D14..D3 12-bit temperature (0.25 C), D2 open input.
@pytest.mark.parametrize("word, temp_c", [
    (0b0_000000000000_000, 0.0),
    (0b0_000000000001_000, 0.25),
    (0b0_000001100100_000, 25.0),
    (0b0_000011011010_000, 54.5),
    (0b0_111111111111_000, 1023.75),
])
def test_max6675_rows(word, temp_c):
    assert decode_max6675(word) == (temp_c, 0)


def test_max6675_open_thermocouple_bit():
    assert decode_max6675(0b0_000001100100_100) == (25.0, FAULT_OPEN)


@given(st.integers(-8192, 8191), st.integers(-2048, 2047), st.integers(0, 7))
def test_max31855_encode_decode_roundtrip(tc_counts, cj_counts, faults):
    frame = encode_max31855(tc_counts * 0.25, cj_counts * 0.0625, faults)
    assert decode_max31855(frame) == (tc_counts * 0.25, cj_counts * 0.0625, faults)


@given(st.integers(0, 4095), st.booleans())
def test_max6675_encode_decode_roundtrip(counts, is_open):
    assert decode_max6675(encode_max6675(counts * 0.25, is_open)) == (counts * 0.25, FAULT_OPEN if is_open else 0)


def _chip_reading(hot_c, cj_c):
    """What a MAX31855 reports, computed from the independent NIST implementation."""
    return (TypeK.emf(hot_c) - TypeK.emf(cj_c)) / CHIP_SEEBECK_MV_PER_C + cj_c


@pytest.mark.parametrize("cj_c", [0.0, 15.0, 25.0, 35.0, 50.0])
def test_linearize_k_matches_nist_over_0_to_100_c(cj_c):
    worst = 0.0
    for tenth in range(0, 1001):
        hot_c = tenth / 10.0
        worst = max(worst, abs(linearize_k(_chip_reading(hot_c, cj_c), cj_c) - hot_c))
    assert worst <= 0.05


def test_chip_reads_low_at_stone_temperature_and_linearize_corrects_it():
    # DOMAIN.md: the chip's linear approximation is about 0.2 C low at 55 C.
    reading = _chip_reading(55.0, 25.0)
    assert 0.15 < 55.0 - reading < 0.3
    assert abs(linearize_k(reading, 25.0) - 55.0) < 0.001


@given(st.floats(-200.0, 1372.0))
def test_type_k_reference_functions_agree_with_independent_nist_implementation(t_c):
    # 1 nV: the two NIST branches meet at 0 C only to about 2e-9 mV
    assert abs(type_k_emf_mv(t_c) - TypeK.emf(t_c)) < 1e-6
    assert abs(type_k_temp_c(TypeK.emf(t_c)) - t_c) < 0.01
