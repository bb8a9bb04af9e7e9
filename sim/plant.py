"""The reference hot stone bath of DOMAIN.md as a lumped thermal model.

Nodes: the heating element, the water with its steel insert, and the stones (one node per batch
put in, so cold stones dropped into a hot bath warm as a batch of their own). The probe sees the
water through a mixing dead time and a first-order lag. Integration is explicit Euler at the
control period; every flow leaves one node and enters another (or the room), so the energy
balance closes to rounding error.

Energy is counted relative to the ambient temperature: ``in_j`` is electrical energy,
``stored_j`` the change of the bath's heat content, ``lost_j`` what went to the room by
convection and evaporation plus the heat content that mass carried out of the bath (stones
taken out, vapour) net of what mass carried in (cold stones or water put in carry a negative
heat content, so warming them counts as a loss).
"""

import math
from collections import deque
from dataclasses import dataclass, replace

WATER_J_PER_KG_K = 4180.0
# A probe lifted out of the water reads the air just above the bath (our assumption: a quarter
# of the way from the room to the water), through the slower lag of a sheath in air.
PROBE_IN_AIR_SHARE = 0.25
PROBE_IN_AIR_TAU_S = 30.0
BASALT_J_PER_KG_K = 840.0
LATENT_HEAT_J_PER_KG = 2.37e6  # water at about 55 C
BOILING_C = 100.0


def saturation_vapour_kpa(t_c):
    """Magnus formula over water (Alduchov & Eskridge 1996)."""
    return 0.61094 * math.exp(17.625 * t_c / (t_c + 243.04))


@dataclass(frozen=True)
class PlantParams:
    """One bath. Defaults are DOMAIN.md's reference plant."""

    ambient_c: float = 22.0
    start_c: float = 20.0
    heater_w: float = 1200.0
    mains_factor: float = 1.0  # V / V_nominal; power goes with its square
    element_j_per_k: float = 400.0
    element_to_water_w_per_k: float = 33.0
    water_l: float = 6.0
    insert_j_per_k: float = 500.0  # 1 kg steel
    stones_kg: float = 3.0
    stone_to_water_w_per_k_per_kg: float = 40.0 / 3.0
    loss_lid_on_w_per_k: float = 2.0
    lid_off_convection_w_per_k: float = 4.0
    lid_off_evaporation_w_at_55c: float = 120.0
    room_humidity: float = 0.5
    mixing_delay_s: float = 15.0
    probe_tau_s: float = 3.0
    board_above_ambient_c: float = 3.0  # where the thermocouple chip's cold junction sits

    def with_changes(self, **changes):
        return replace(self, **changes)

    @property
    def heater_power_w(self):
        return self.heater_w * self.mains_factor * self.mains_factor

    @property
    def evaporation_w_per_kpa(self):
        drive = saturation_vapour_kpa(55.0) - self.room_humidity * saturation_vapour_kpa(self.ambient_c)
        return self.lid_off_evaporation_w_at_55c / drive


class BathPlant:
    def __init__(self, params=None, dt_s=0.25):
        p = params or PlantParams()
        self.params = p
        self.dt_s = dt_s
        self.ambient_c = p.ambient_c
        self.element_c = p.start_c
        self.water_c = p.start_c
        self.water_kg = p.water_l  # 1 kg per litre
        # Stone batches: [kg, temperature]
        self.stones = [[p.stones_kg, p.start_c]] if p.stones_kg > 0 else []
        self.lid_on = True
        n = max(1, int(round(p.mixing_delay_s / dt_s)))
        self._delay = deque([p.start_c] * n, n)
        self.probe_c = p.start_c
        self.probe_in_water = True
        self._probe_alpha = 1.0 - math.exp(-dt_s / p.probe_tau_s)
        self._probe_air_alpha = 1.0 - math.exp(-dt_s / PROBE_IN_AIR_TAU_S)
        self._evap_k = p.evaporation_w_per_kpa
        self._vapour_room_kpa = p.room_humidity * saturation_vapour_kpa(p.ambient_c)
        # Bound once: step() runs four times per simulated second.
        self._power_w = p.heater_power_w
        self._stone_g_per_kg = p.stone_to_water_w_per_k_per_kg
        self._g_element = p.element_to_water_w_per_k
        self._c_element = p.element_j_per_k
        self._c_insert = p.insert_j_per_k
        self._loss_lid_on = p.loss_lid_on_w_per_k
        self._loss_lid_off = p.loss_lid_on_w_per_k + p.lid_off_convection_w_per_k
        self.time_s = 0.0
        self.in_j = 0.0
        self.to_air_j = 0.0
        self.evaporation_j = 0.0
        self.mass_flow_j = 0.0  # heat content carried out by mass, net of what came in
        self._start_heat_j = self.heat_content_j()

    # -- state ---------------------------------------------------------------------------------

    def water_j_per_k(self):
        return self.water_kg * WATER_J_PER_KG_K + self._c_insert

    def heat_content_j(self):
        """Heat content of the bath relative to the room."""
        a = self.ambient_c
        h = self.params.element_j_per_k * (self.element_c - a) + self.water_j_per_k() * (self.water_c - a)
        for kg, t in self.stones:
            h += kg * BASALT_J_PER_KG_K * (t - a)
        return h

    def energy(self):
        lost = self.to_air_j + self.evaporation_j + self.mass_flow_j
        return {
            "in_j": self.in_j,
            "stored_j": self.heat_content_j() - self._start_heat_j,
            "lost_j": lost,
            "to_air_j": self.to_air_j,
            "evaporation_j": self.evaporation_j,
            "mass_flow_j": self.mass_flow_j,
        }

    def copy(self):
        other = BathPlant.__new__(BathPlant)
        other.__dict__.update(self.__dict__)
        other.stones = [list(b) for b in self.stones]
        other._delay = deque(self._delay, self._delay.maxlen)
        return other

    # -- disturbances --------------------------------------------------------------------------

    def add_stones(self, kg, temp_c):
        self._merge_settled_stones()
        self.stones.append([kg, temp_c])
        self.mass_flow_j -= kg * BASALT_J_PER_KG_K * (temp_c - self.ambient_c)

    def _merge_settled_stones(self, within_c=0.01):
        """Batches that have reached the same temperature become one (heat content kept)."""
        merged = []
        for kg, t in self.stones:
            for batch in merged:
                if abs(batch[1] - t) < within_c:
                    batch[1] = (batch[0] * batch[1] + kg * t) / (batch[0] + kg)
                    batch[0] += kg
                    break
            else:
                merged.append([kg, t])
        self.stones = merged

    def remove_stones(self, kg):
        """Take ``kg`` of stones out, evenly from every batch."""
        total = sum(b[0] for b in self.stones)
        if total <= 0:
            return
        share = min(1.0, kg / total)
        for batch in self.stones:
            taken = batch[0] * share
            self.mass_flow_j += taken * BASALT_J_PER_KG_K * (batch[1] - self.ambient_c)
            batch[0] -= taken
        self.stones = [b for b in self.stones if b[0] > 1e-9]

    def add_water(self, litres, temp_c):
        c_old = self.water_j_per_k()
        c_new = litres * WATER_J_PER_KG_K
        self.water_c = (c_old * self.water_c + c_new * temp_c) / (c_old + c_new)
        self.water_kg += litres
        self.mass_flow_j -= c_new * (temp_c - self.ambient_c)

    def set_lid(self, on):
        self.lid_on = on

    def _boil(self):
        """Water cannot pass 100 C: the excess heat turns water into steam, which leaves."""
        excess_j = (self.water_c - BOILING_C) * self.water_j_per_k()
        kg = min(self.water_kg, excess_j / LATENT_HEAT_J_PER_KG)
        self.water_kg -= kg
        self.water_c = BOILING_C
        self.evaporation_j += excess_j
        self.mass_flow_j += kg * WATER_J_PER_KG_K * (BOILING_C - self.ambient_c)

    def leak(self, litres_left):
        """The bath loses water down to ``litres_left``; what leaves carries its heat away."""
        lost = max(0.0, self.water_kg - litres_left)
        self.mass_flow_j += lost * WATER_J_PER_KG_K * (self.water_c - self.ambient_c)
        self.water_kg -= lost

    # -- dynamics ------------------------------------------------------------------------------

    def step(self, heater_on):
        """Advance one period with the element powered or not."""
        dt = self.dt_s
        power = self._power_w if heater_on else 0.0
        tw = self.water_c
        q_el = self._g_element * (self.element_c - tw)
        q_evap = 0.0
        if self.lid_on:
            q_air = self._loss_lid_on * (tw - self.ambient_c)
        else:
            q_air = self._loss_lid_off * (tw - self.ambient_c)
            q_evap = self._evap_k * (saturation_vapour_kpa(tw) - self._vapour_room_kpa)
            if q_evap < 0.0:
                q_evap = 0.0
        q_stones = 0.0
        g = self._stone_g_per_kg
        for batch in self.stones:
            q = g * batch[0] * (tw - batch[1])
            batch[1] += dt * q / (batch[0] * BASALT_J_PER_KG_K)
            q_stones += q
        self.element_c += dt * (power - q_el) / self._c_element
        self.water_c = tw + dt * (q_el - q_stones - q_air - q_evap) / (
            self.water_kg * WATER_J_PER_KG_K + self._c_insert)
        if q_evap > 0.0:
            kg = q_evap * dt / LATENT_HEAT_J_PER_KG
            self.water_kg -= kg
            self.mass_flow_j += kg * WATER_J_PER_KG_K * (self.water_c - self.ambient_c)
        if self.water_c > BOILING_C:
            self._boil()
        self.in_j += power * dt
        self.to_air_j += q_air * dt
        self.evaporation_j += q_evap * dt
        # The probe: mixing dead time, then the sheath's first-order lag.
        delayed = self._delay[0]
        self._delay.append(self.water_c)
        if self.probe_in_water:
            self.probe_c += (delayed - self.probe_c) * self._probe_alpha
        else:
            air_c = self.ambient_c + PROBE_IN_AIR_SHARE * (self.water_c - self.ambient_c)
            self.probe_c += (air_c - self.probe_c) * self._probe_air_alpha
        self.time_s += dt

    def full_power_time_s(self, target_c, limit_s=6 * 3600.0):
        """Seconds this bath, from its present state, needs at full power to reach ``target_c``.

        Works on a copy. None if it cannot get there within ``limit_s``.
        """
        twin = self.copy()
        start = twin.time_s
        while twin.water_c < target_c:
            if twin.time_s - start > limit_s:
                return None
            twin.step(True)
        return twin.time_s - start
