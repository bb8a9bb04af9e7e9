"""Control-quality figures from a run's true water temperature (DESIGN.md's contract)."""

READY_BAND_C = 0.5


def settle_time_s(water, dt_s, setpoint_c, start_i, end_i, band_c=READY_BAND_C):
    """Seconds from sample ``start_i`` after which ``water[start_i:end_i]`` stays within the band.

    Sample i is the water at time ``(i + 1) * dt_s``. None if the water is out of the band at the
    end of the stretch.
    """
    last_out = start_i - 1
    for i in range(end_i - 1, start_i - 1, -1):
        if abs(water[i] - setpoint_c) > band_c:
            last_out = i
            break
    if last_out == end_i - 1:
        return None
    return (last_out + 1 - start_i) * dt_s + dt_s


def window_stats(water, dt_s, setpoint_c, window_s):
    """(peak-to-peak, mean) of water - setpoint over a time window."""
    i0 = max(0, int(window_s[0] / dt_s))
    i1 = min(len(water), int(window_s[1] / dt_s))
    if i1 <= i0:
        return None, None
    seg = water[i0:i1]
    return max(seg) - min(seg), sum(seg) / len(seg) - setpoint_c
