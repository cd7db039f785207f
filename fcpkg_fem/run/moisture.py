"""The moisture field of a process history: diffusion on the increments, swelling for the mechanics, outputs.

:class:`MoistureCoupling` keeps the wetness (docs/moisture.md) of the permeable parts that exist, through the steps
of :func:`fcpkg_fem.run.history.run_steps`: before the mechanics of every increment it advances the wetness over
the increment (:meth:`MoistureCoupling.advance`, time steps of :func:`fcpkg_fem.solve.moisture.substep_times`, the
temperature linear in time between the increment's ends, the ambient relative humidity of the step held on the
exposed faces) and gives the hygroscopic normal strain cme C of every element at the increment's end, which the
history solver adds to the free strain (``hyg_end``). At a step that bears parts the problem is rebuilt on the
parts now alive: the wetness of every node already in it is kept (one continuous field), a node new to it starts
dry (a part born later is moulded dry); faces of a born part towards a part not yet born are open to the ambient.

Units: SI, temperatures in degC, relative humidity and wetness as fractions (percent in outputs, named so), water
in mg in outputs. Masses are for the whole package: the modelled part's times the symmetry's multiplicity (4 for a
quarter model, 2 for a half).
"""

from __future__ import annotations

import numpy as np

from fcpkg_fem.case.schema_moisture import MoistureOptions
from fcpkg_fem.materials.moisture import moisture_of
from fcpkg_fem.post.vapour import MoistureFields
from fcpkg_fem.solve.moisture import MoistureProblem, exposed_facets, permeable_regions, substep_times

__all__ = ["MoistureCoupling", "MULTIPLICITY"]

MULTIPLICITY = {"full": 1, "half": 2, "quarter": 4}
"""Copies of the modelled part in the whole package, by mesh symmetry."""


class MoistureCoupling:
    """The wetness of one history run (see the module docstring).

    Args:
        case: the validated case (``moisture`` options, ``materials_resolved``).
        pmesh: its mesh.
        steps: the plan (:func:`fcpkg_fem.case.plan.plan`); parts born by a step are not alive before it.

    Attributes:
        problem: the :class:`~fcpkg_fem.solve.moisture.MoistureProblem` on the permeable parts alive now, or None
            while none is. w: (problem.n_nodes,) wetness (-). RH: ambient relative humidity of the step, fraction.
        swelling: whether the mechanics gets the hygroscopic strain. cme: (n_elements,) m^3/kg, 0 if impermeable.
    """

    def __init__(self, case, pmesh, steps):
        self.opts = case.moisture or MoistureOptions()
        self.pmesh, self.materials = pmesh, case.materials_resolved
        self.swelling = bool(self.opts.swelling)
        nel = pmesh.mesh.t.shape[1]
        self.cme = np.zeros(nel)
        self.free_volume = np.full(nel, np.nan)  # NaN: impermeable, or no free volume fraction given
        self.permeable = np.zeros(nel, dtype=bool)  # elements of a permeable material
        for r in permeable_regions(pmesh, self.materials):
            sel = np.asarray(pmesh.cell_region) == pmesh.region_names.index(r)
            prm = moisture_of(self.materials[pmesh.region_material[r]])
            self.permeable[sel] = True
            self.cme[sel] = prm.cme
            if prm.free_volume is not None:
                self.free_volume[sel] = prm.free_volume
        later = {r for s in steps for r in s.births}
        self.alive = np.isin(np.asarray(pmesh.cell_region),
                             [i for i, r in enumerate(pmesh.region_names) if r not in later])
        self.factor = MULTIPLICITY.get(getattr(pmesh.geometry, "symmetry", "full"), 1)
        self.problem, self.w = None, np.zeros(0)
        self.RH, self.t_change, self.T = 0.0, 0.0, None

    # ------------------------------------------------------------------------------------------------ set-up
    def _rebuild(self) -> np.ndarray:
        """Problem on the permeable elements alive now; keeps the wetness of nodes already in the problem, starts
        the others dry. Returns the element indices new to the problem."""
        old, w_old = self.problem, self.w
        pm = self.pmesh
        if not (self.alive & self.permeable).any():
            self.problem, self.w = None, np.zeros(0)
            return np.zeros(0, dtype=np.int64)
        self.problem = MoistureProblem(pm, self.materials, exposed=exposed_facets(pm, self.alive, self.opts.exposed),
                                       alive=self.alive)
        w = self.problem.initial()
        if old is not None:
            at = np.full(pm.mesh.p.shape[1], -1, dtype=np.int64)
            at[old.nodes] = np.arange(old.n_nodes)
            keep = at[self.problem.nodes] >= 0
            w[keep] = w_old[at[self.problem.nodes][keep]]
        self.w = w
        return np.setdiff1d(self.problem.elements, [] if old is None else old.elements)

    def start(self, T0) -> None:
        """The state before the first step: the parts present from the start, dry, at temperature ``T0``."""
        self.T = T0
        self._rebuild()

    def begin_step(self, step, hs) -> None:
        """At a step's start (after its births in ``hs``): take the step's humidity, rebuild the problem if parts
        were born (their swelling is referenced to their wetness now, in ``hs``), restart the linear solver."""
        self.RH, self.t_change = float(step.humidity), float(step.t_start)
        if step.births:
            idx = [self.pmesh.region_names.index(r) for r in step.births]
            self.alive |= np.isin(np.asarray(self.pmesh.cell_region), idx)
            new = self._rebuild()
            if self.swelling and len(new):
                hs.rebase_hygroscopic(self.strain(self.T), new)
        if self.problem is not None:
            self.problem.reset()  # the same arithmetic whether or not the run was resumed at this boundary

    # ------------------------------------------------------------------------------------------------ stepping
    def advance(self, t0: float, t1: float, T1) -> np.ndarray | None:
        """Advance the wetness from ``t0`` to ``t1`` (s), the temperature going linearly from the last one to
        ``T1`` (degC, scalar or (n_elements,)). Returns the hygroscopic strain (n_elements,) at ``t1`` for the
        mechanics, or None without swelling."""
        T0 = self.T
        if self.problem is not None and t1 > t0:
            ts = substep_times(t0, t1, self.t_change, self.opts.time_step_ratio, self.opts.min_time_step)
            a = t0
            for b in ts:
                Ta = T0 + (T1 - T0) * ((a - t0) / (t1 - t0))
                Tb = T1 if b == ts[-1] else T0 + (T1 - T0) * ((b - t0) / (t1 - t0))
                self.w = self.problem.step(self.w, b - a, Tb, self.RH, T_old=Ta)
                a = b
        self.T = T1
        return self.strain(T1) if self.swelling else None

    # ------------------------------------------------------------------------------------------------ fields
    def concentration(self, T=None) -> np.ndarray:
        """(n_elements,) element mean water concentration C = C_sat(T) w, kg/m^3 (0 outside the problem)."""
        out = np.zeros(self.pmesh.mesh.t.shape[1])
        if self.problem is not None:
            out[self.problem.elements] = self.problem.element_concentration(self.w, self.T if T is None else T)
        return out

    def strain(self, T=None) -> np.ndarray:
        """(n_elements,) hygroscopic normal strain cme C of each element (-)."""
        return self.cme * self.concentration(T)

    def post_fields(self) -> MoistureFields:
        """The moisture state now for the post-processors (the vapour pressure, :mod:`fcpkg_fem.post.vapour`):
        nodal wetness, element C_sat at the element temperature, element temperature, free volume fraction."""
        m = self.pmesh.mesh
        nel = m.t.shape[1]
        csat = np.full(nel, np.nan)
        wet = np.full(m.p.shape[1], np.nan)
        if self.problem is not None:
            csat[self.problem.elements] = self.problem.element_properties(self.T)[0]
            wet = self.problem.to_mesh(self.w)
        T = np.broadcast_to(np.asarray(self.T, dtype=float), (nel,)).copy()
        return MoistureFields(wetness=wet, saturated_concentration=csat, temperature=T,
                              free_volume=self.free_volume)

    def mass_mg(self) -> float:
        """Water in the whole package now, mg."""
        return 0.0 if self.problem is None else self.problem.mass_kg(self.w, self.T) * 1e6 * self.factor

    def output(self) -> dict:
        """summary.json ``outputs[i].moisture``: ``mass_mg`` (whole package), ``ambient_RH_percent``, ``swelling``
        and per permeable region alive ``mass_mg``, ``mean_wetness``, ``mean_concentration_kg_per_m3``."""
        regions = {}
        if self.problem is not None:
            for r, v in self.problem.region_summary(self.w, self.T).items():
                regions[r] = {"mass_mg": v["mass_mg"] * self.factor, "mean_wetness": v["mean_wetness"],
                              "mean_concentration_kg_per_m3": v["mean_concentration_kg_per_m3"]}
        return {"mass_mg": self.mass_mg(), "ambient_RH_percent": 100.0 * self.RH, "swelling": self.swelling,
                "regions": regions}

    def row(self, out: dict) -> dict:
        """history.csv columns of an output (:meth:`output`): ``moisture_mass_mg``, ``moisture_RH_percent`` and
        per region ``<region>_moisture_mg``, ``<region>_mean_wetness``."""
        row = {"moisture_mass_mg": out["mass_mg"], "moisture_RH_percent": out["ambient_RH_percent"]}
        for r, v in out["regions"].items():
            row[f"{r}_moisture_mg"] = v["mass_mg"]
            row[f"{r}_mean_wetness"] = v["mean_wetness"]
        return row

    def cell_data(self) -> dict[str, np.ndarray]:
        """VTU cell data: ``wetness`` (element mean, NaN where there is no moisture field: impermeable or unborn),
        ``moisture_kg_m3`` (concentration, 0 there) and ``hygroscopic_strain`` (cme C, 0 there; 0 everywhere when
        swelling is off, since the mechanics then has none)."""
        wet = np.full(self.pmesh.mesh.t.shape[1], np.nan)
        if self.problem is not None:
            wet[self.problem.elements] = self.problem.element_wetness(self.w)
        C = self.concentration()
        return {"wetness": wet, "moisture_kg_m3": C,
                "hygroscopic_strain": self.cme * C if self.swelling else np.zeros_like(C)}

    # ------------------------------------------------------------------------------------------------ checkpoints
    def state_arrays(self) -> dict[str, np.ndarray]:
        """What a resume needs: ``moisture:w`` (wetness, (n_nodes,)), ``moisture:alive`` (elements alive,
        (n_elements,) bool) and ``moisture:T`` (the last temperature, degC: 0-d or (n_elements,))."""
        return {"moisture:w": self.w, "moisture:alive": self.alive, "moisture:T": np.asarray(self.T, float)}

    def restore(self, arrays: dict) -> None:
        """Load :meth:`state_arrays` (same case and mesh)."""
        self.alive = np.array(arrays["moisture:alive"], dtype=bool)
        T = np.array(arrays["moisture:T"], float)
        self.T = float(T) if T.ndim == 0 else T
        self.problem = None
        self._rebuild()
        self.w = np.array(arrays["moisture:w"], float)
