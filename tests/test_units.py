import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stoneheat.firmware.units import c_to_f, f_to_c, parse_temperature


@pytest.mark.parametrize("text, expected_c", [
    ("130F", 54.444), ("130 f", 54.444), ("54.4C", 54.4), ("54.4", 54.4), ("130\u00b0F", 54.444),
    ("-40F", -40.0), (" 50 ", 50.0),
])
def test_parse_temperature(text, expected_c):
    assert abs(parse_temperature(text) - expected_c) < 0.001


def test_bare_number_in_the_default_unit():
    assert abs(parse_temperature("130", "F") - 54.444) < 0.001


@pytest.mark.parametrize("text", ["", "F", "hot", "nan", "NaNF", "inf", "1e999C", "54.4K", "5 4"])
def test_parse_temperature_refuses_non_temperatures(text):
    with pytest.raises(ValueError):
        parse_temperature(text)


@given(st.floats(-1000, 1000))
def test_c_f_roundtrip(c):
    assert math.isclose(f_to_c(c_to_f(c)), c, abs_tol=1e-9)
