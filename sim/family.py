"""A seeded family of baths spanning the product's range (issue 7, DOMAIN.md).

Latin hypercube sampling: each range is cut into N equal strata and every stratum of every
parameter is used by exactly one bath, so even a small family reaches both ends of each range,
which plain random draws do not promise. The same (N, seed) gives the same baths on any machine.
"""

import random

from .faults import plain_number
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


# ``--bath`` names (issue 13): the short name a user types, the PlantParams field, and the
# widest value the simulator accepts. The product's range is RANGES; a bath outside it runs
# (a what-if), and ``outside_range`` says so.
BATH_NAMES = (
    ("water_l", "water_l", 0.5, 50.0),
    ("stones_kg", "stones_kg", 0.0, 20.0),
    ("heater_w", "heater_w", 100.0, 5000.0),
    ("mains", "mains_factor", 0.5, 1.5),
    ("probe_tau_s", "probe_tau_s", 0.25, 60.0),
    ("mixing_s", "mixing_delay_s", 0.25, 120.0),
)
BATH_HELP = ("water_l=L, stones_kg=KG, heater_w=W, mains=FACTOR, probe_tau_s=S, mixing_s=S "
             "joined by commas (any subset; the rest from the reference bath: 6 L, 3 kg, "
             "1200 W, mains 1.0, probe 3 s, mixing 15 s)")


def parse_bath(spec, base=None):
    """``'water_l=3,heater_w=1500'`` to ``PlantParams``; ValueError naming what is wrong."""
    base = base if base is not None else PlantParams()
    fields = {short: (name, low, high) for short, name, low, high in BATH_NAMES}
    changes = {}
    for part in str(spec).split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, text = part.partition("=")
        key = key.strip()
        if key not in fields:
            raise ValueError("unknown bath parameter %r; choose from %s"
                             % (key, ", ".join(f[0] for f in BATH_NAMES)))
        if not sep:
            raise ValueError("give %s a value: %s=NUMBER" % (key, key))
        try:
            value = plain_number(text)
        except ValueError:
            raise ValueError("%s=%r is not a number" % (key, text))
        name, low, high = fields[key]
        if not (low <= value <= high):  # also refuses NaN
            raise ValueError("%s must be between %g and %g" % (key, low, high))
        if name in changes:
            raise ValueError("%s is given twice" % key)
        changes[name] = value
    if not changes:
        raise ValueError("say which bath, e.g. water_l=3,heater_w=1500")
    return base.with_changes(**changes)


def bath_spec(params):
    """The ``--bath`` text that gives ``params`` again (its varied parameters)."""
    return ",".join("%s=%g" % (short, getattr(params, name)) for short, name, _, _ in BATH_NAMES)


def outside_range(params):
    """The parameters of ``params`` outside the product's range, each as the ``--bath`` text
    a user typed and the range, e.g. ``'mains=1.3 (0.9-1.1)'``."""
    short = {name: s for s, name, _, _ in BATH_NAMES}
    out = []
    for name, low, high in RANGES:
        value = getattr(params, name)
        if not (low <= value <= high):
            out.append("%s=%g (%g-%g)" % (short[name], value, low, high))
    return out
