"""A seeded family of baths spanning the product's range (issue 7, DOMAIN.md).

Latin hypercube sampling: each range is cut into N equal strata and every stratum of every
parameter is used by exactly one bath, so even a small family reaches both ends of each range,
which plain random draws do not promise. The same (N, seed) gives the same baths on any machine.
"""

import random

from .plant import PlantParams

# parameter of PlantParams: (lowest, highest)
RANGES = (
    ("water_l", 3.0, 17.0),
    ("stones_kg", 0.0, 5.0),
    ("heater_w", 800.0, 1500.0),
    ("mains_factor", 0.9, 1.1),
    ("probe_tau_s", 1.0, 8.0),
    ("mixing_delay_s", 5.0, 30.0),
)


def bath_family(n, seed=0):
    """``n`` baths as ``PlantParams``, the reference plant's values for everything else."""
    if n < 1:
        raise ValueError("a family needs at least one bath")
    rng = random.Random(seed)
    columns = []
    for _, low, high in RANGES:
        strata = list(range(n))
        rng.shuffle(strata)
        columns.append([low + (high - low) * (s + rng.random()) / n for s in strata])
    return [PlantParams(**{name: round(col[i], 3) for (name, _, _), col in zip(RANGES, columns)})
            for i in range(n)]


def describe(params):
    """A bath in one short line, e.g. ``6.0 L, 3.0 kg, 1200 W x1.00, probe 3.0 s, mix 15.0 s``."""
    return "%.1f L, %.1f kg, %.0f W x%.2f, probe %.1f s, mix %.1f s" % (
        params.water_l, params.stones_kg, params.heater_w, params.mains_factor,
        params.probe_tau_s, params.mixing_delay_s)


def as_dict(params):
    """The varied parameters of a bath, for JSON."""
    return {name: getattr(params, name) for name, _, _ in RANGES}
