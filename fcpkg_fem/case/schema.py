"""The case schema: the load, mesh, output, solver and thermal models and the :class:`Case` that holds them.

Every quantity is converted when a model is validated (the field types of :mod:`fcpkg_fem.case.fields`), so a
validated :class:`Case` holds floats in SI (m, Pa, s, 1/K) with temperatures in degC. The package geometry models
are in :mod:`fcpkg_fem.case.schema_package`. Two fields are checked against registries rather than fixed lists:
a step's ``kind`` against the step kinds (:mod:`fcpkg_fem.case.steps`, which also give a step its keys) and the
values of ``models`` against the material models (:func:`fcpkg_fem.constitutive.model_names`). Build a case with
:func:`fcpkg_fem.case.load_case`, which also runs the material and cross-field checks.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Annotated, Any, Iterable, Literal

from pydantic import (Field, PrivateAttr, SerializerFunctionWrapHandler, StrictBool, create_model, model_serializer,
                      model_validator)

from fcpkg_fem.case import layout
from fcpkg_fem.case import names as rn
from fcpkg_fem.case import steps
from fcpkg_fem.case.fields import (CaseModel, CaseName, Htc, Ident, Length, PosInt, PosLength, PosTempDiff, PosTime,
                                   Rtol, Temperature, Temperatures, Times, fail, mm, one_of, set_default, table_problems)
from fcpkg_fem.case.names import THERMAL_SURFACES
from fcpkg_fem.case.paths import path_problem
from fcpkg_fem.case.schema_moisture import MoistureOptions
from fcpkg_fem.case.schema_package import Laminate, Package
from fcpkg_fem.case.schema_submodel import Submodel
from fcpkg_fem.constitutive import model_names

__all__ = ["SCHEMA_VERSION", "UNIT_CONVENTION", "LOAD_MODES", "History", "Step", "Load", "MeshSpec", "Output",
           "Newton", "Solver", "Thermal", "Case"]

SCHEMA_VERSION = 1

UNIT_CONVENTION = {
    "length": "m",
    "stress": "Pa",
    "temperature": "degC",
    "time": "s",
    "cte": "1/K",
    "note": "every quantity of the resolved case is in these units; bare numbers in the case file are read in "
    "mm, MPa, degC, s (see docs/case_format.md)",
}

#: a step's ``kind``: a registered step kind
StepKindName = Annotated[str, one_of(steps.names)]
#: a value of ``models``: a registered material model
ModelName = Annotated[str, one_of(model_names)]
#: a key of ``thermal.h``: an outer surface group of the heat problem
SurfaceName = Literal[THERMAL_SURFACES]  # type: ignore[valid-type]


# ----------------------------------------------------------------------------------------------- load


class History(CaseModel):
    """A uniform temperature-time table (linear between points). time in s (strictly increasing), T in degC."""

    time: Times
    temperature: Temperatures

    @model_validator(mode="after")
    def _check(self) -> "History":
        probs = table_problems(self.time, self.temperature, "temperature")
        if probs:
            raise fail(probs[0][1], probs)
        return self


LOAD_MODES = ("temperatures", "history", "steps")
"""The alternative load descriptions; exactly one is given."""


class _Step(CaseModel):
    """One process step: a temperature history starting from the current temperature, and the parts born at its
    start (stress-free at that temperature, with the deformation the package has then).

    Attributes:
        name: step name (default ``<kind><index>``).
        kind: a registered step kind (:mod:`fcpkg_fem.case.steps`): ``hold`` | ``ramp`` | ``table`` | ``reflow``
            (IPC/JEDEC J-STD-020) | ``thermal_cycle`` (JESD22-A104). The kind's own keys follow; any other is an
            error.
        births: regions born at the start of the step: region names (``bumps.die1``) or kinds (``bumps``,
            ``adhesive``, ``encapsulant``, ``vias``, ``traces``, ``balls``, ``chip``, ``carrier``).
        cure: regions (names or kinds) whose cure shrinkage develops during this step: the material's
            ``cure_shrinkage`` (dV/V) grows linearly in time from none at the step's start to all of it at its end,
            as an isotropic chemical strain -(dV/V)/3 added to the thermal strain. Each region cures in one step,
            born at or before it.
        output: which times are reported: ``end`` of the step, every ``breakpoints`` of its profile (default), or
            every mechanical ``increments``.
        temperature: hold temperature, degC (default: the current temperature); duration: s.
        to: ramp target, degC; rate: K/s (ramp, thermal_cycle) or duration.
        time, temperatures: table of times (s, from the step's start, first 0) and temperatures (degC).
        alloy: ``pb_free`` | ``snpb``; peak: peak temperature, degC (default: the classification temperature for
            the package thickness and volume); passes: 1-3; package_thickness: m (default: the model's);
            ramp_up, ramp_down: K/s; preheat_time, time_above_liquidus, time_near_peak, dwell: s;
            end: temperature after each pass, degC (25); allow_nonstandard: accept parameters that break the
            standard (they are listed in the output).
        condition: JESD22-A104 letter (A, B, C, G, H, K, J, N) or T_min/T_max, degC; cycles; soak: s at each
            extreme; rate (K/s) or cycles_per_hour.
    """

    name: Ident | None = None
    kind: StepKindName
    births: tuple[str, ...] = ()
    cure: tuple[str, ...] = ()
    output: Literal["end", "breakpoints", "increments"] = "breakpoints"

    @model_validator(mode="after")
    def _fields_of_kind(self) -> "_Step":
        kind = steps.get(self.kind)
        allowed = set(kind.keys)
        probs = []
        for f in sorted(self.model_fields_set - set(steps.COMMON_KEYS) - allowed):
            probs.append((f, f"does not apply to a '{self.kind}' step (its fields: "
                             f"{', '.join(sorted(allowed))})"))
        for f in kind.required:
            if getattr(self, f) is None:
                probs.append((f, f"is required for a '{self.kind}' step"))
        probs += kind.check(self)
        if probs:
            raise fail(probs[0][1], probs)
        return self


# The common keys above, then every registered kind's own keys (fcpkg_fem.case.steps), in registration order.
Step = create_model("Step", __base__=_Step, __module__=__name__, __doc__=_Step.__doc__,
                    **steps.field_definitions())


class Load(CaseModel):
    """Thermal load.

    Attributes:
        stress_free_temperature: default stress-free temperature of every region, degC.
        stress_free_by_material: material name -> its stress-free temperature, degC (simple process mode).
        stress_free_by_region: region name -> its stress-free temperature, degC (wins over by-material).
        temperatures: uniform temperatures to solve and report, degC (one static solve each).
        history: uniform T(t) table.
        steps: process history (list of :class:`Step`); parts not born by a step exist from the start, born at
            their stress-free temperature.
        initial_temperature: temperature at the start of the steps, degC (default: stress_free_temperature).
    """

    stress_free_temperature: Temperature = 25.0
    stress_free_by_material: dict[str, Temperature] = Field(default_factory=dict)
    stress_free_by_region: dict[str, Temperature] = Field(default_factory=dict)
    temperatures: Temperatures | None = None
    history: History | None = None
    steps: tuple[Step, ...] | None = None
    initial_temperature: Temperature | None = None

    @model_validator(mode="after")
    def _one_mode(self) -> "Load":
        if self.steps is not None and not self.steps:
            raise fail("give at least one step", [("steps", "give at least one step")])
        given = [m for m in LOAD_MODES if getattr(self, m) is not None]
        if len(given) != 1:
            what = "none" if not given else " and ".join(given)
            msg = f"give exactly one of {', '.join(LOAD_MODES)}; got {what}"
            raise fail(msg, [(given[-1] if given else ".", msg)])
        return self

    @property
    def mode(self) -> str:
        """Which load description is given: ``temperatures``, ``history`` or ``steps``."""
        return next(m for m in LOAD_MODES if getattr(self, m) is not None)

    def stress_free(self, region: str, material: str) -> float:
        """Stress-free temperature (degC) of ``region`` made of ``material``: by region, else by material,
        else the default."""
        if region in self.stress_free_by_region:
            return self.stress_free_by_region[region]
        return self.stress_free_by_material.get(material, self.stress_free_temperature)


# ----------------------------------------------------------------------------------------------- mesh etc.


class MeshSpec(CaseModel):
    """Mesh controls.

    Attributes:
        symmetry: ``full`` | ``half`` (keep x >= 0) | ``quarter`` (keep x >= 0, y >= 0); default quarter.
        element: ``hex20`` (20-node serendipity hexahedra, default), ``hex8i`` (8-node hexahedra with incompatible
            bending modes) or ``hex8`` (plain trilinear; locks in bending: for studies only).
        size: in-plane element size away from features, m.
        feature_size: in-plane size at bump/via/ball outlines, m; default = size.
        max_layer_thickness: a slab thicker than this is split through its thickness, m; default = size.
        min_elements_per_layer: least elements through any slab; default 1.
        circle_segments: least straight segments on every disk outline (bump, via, ball); default 4. Disks are
            meshed as polygons of the disk's true area; raise this (with the sizes) to refine the disks too.
        layer_elements: region name -> least elements through that region's slabs.
        interconnect: ``resolved`` (default: every bump, via and ball a disk of its diameter, meshed as a polygon
            of circle_segments sides) or ``column`` (the fast global model: each joint a square column of the
            disk's area, in a coarse quad-dominant footprint; see docs/case_format.md).
    """

    symmetry: Literal["full", "half", "quarter"] = "quarter"
    element: Literal["hex20", "hex8i", "hex8"] = "hex20"
    size: PosLength
    feature_size: PosLength | None = None
    max_layer_thickness: PosLength | None = None
    min_elements_per_layer: PosInt = 1
    circle_segments: Annotated[int, Field(strict=True, ge=4, le=64)] = 4
    layer_elements: dict[str, PosInt] = Field(default_factory=dict)
    interconnect: Literal["resolved", "column"] = "resolved"

    @model_validator(mode="after")
    def _defaults(self) -> "MeshSpec":
        if self.feature_size is None:
            set_default(self, "feature_size", self.size)
        if self.max_layer_thickness is None:
            set_default(self, "max_layer_thickness", self.size)
        if self.feature_size > self.size * (1 + 1e-12):
            msg = f"feature_size ({mm(self.feature_size)}) must not exceed size ({mm(self.size)})"
            raise fail(msg, [("feature_size", msg)])
        return self


class WarpageAllowance(CaseModel):
    """Limits on the signed warpage of every face (docs/outputs.md sign convention: + convex, - concave), m: the
    run reports the extremes against them and draws them on the warpage plots. ``source``: where the limits come
    from (e.g. the JEITA ED-7306 or JEDEC table and row the user applied); the values are the user's."""

    concave: Length
    convex: Length
    source: str | None = None

    @model_validator(mode="after")
    def _signs(self) -> "WarpageAllowance":
        bad = []
        if self.concave > 0:
            bad.append(("concave", f"is a limit on concave (negative) warpage: give it as <= 0, got {mm(self.concave)}"))
        if self.convex < 0:
            bad.append(("convex", f"is a limit on convex (positive) warpage: give it as >= 0, got {mm(self.convex)}"))
        if not bad and self.concave == self.convex:
            bad.append(("convex", "equals the concave limit: the allowance leaves no room"))
        if bad:
            raise fail(bad[0][1], bad)
        return self


class Output(CaseModel):
    """What to write. ``dir``: output folder, relative to the folder the run is launched from and inside it
    (no absolute path, no ``..`` climbing out, no symlink leading out: :func:`fcpkg_fem.case.paths.confine`);
    default: chosen by the caller (``runs/<name>``). ``warpage_allowance``: optional limits to check and draw."""

    dir: str | None = None
    vtu: StrictBool = True
    plots: StrictBool = True
    report: StrictBool = True
    csv: StrictBool = True
    warpage_allowance: WarpageAllowance | None = None

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> Any:
        # without an allowance the resolved case (and its hash, which checkpoints record) stays as it was
        d = handler(self)
        if isinstance(d, dict) and d.get("warpage_allowance") is None:
            d.pop("warpage_allowance", None)
        return d

    @model_validator(mode="before")
    @classmethod
    def _dir_inside(cls, data: Any) -> Any:
        # text checks only (absolute, '..' climbing out); symlinks are resolved at run time by case.paths.confine
        if isinstance(data, dict) and data.get("dir") is not None:
            msg = path_problem(data["dir"])
            if msg is not None:
                raise fail(msg, [("dir", msg)])
        return data


class Newton(CaseModel):
    """Global Newton controls (process history and inelastic models): iterations per increment, relative
    residual and correction tolerances (the correction estimated from the residuals' reduction, or computed: one
    more iteration), halvings of a failing increment, line search."""

    max_iterations: Annotated[int, Field(strict=True, ge=1, le=200)] = 25
    rtol_residual: Rtol = 1e-6
    rtol_increment: Rtol = 1e-5
    correction: Literal["estimated", "computed"] = "estimated"
    max_cutbacks: Annotated[int, Field(strict=True, ge=0, le=20)] = 6
    line_search: StrictBool = True


class Solver(CaseModel):
    """Linear solver: ``auto`` | ``amg`` (pyamg + CG) | ``direct`` (SuperLU) | ``pardiso`` (optional MKL PARDISO);
    ``rtol`` relative residual tolerance of CG. Increments of ``load.steps``: ``max_temperature_increment`` (K),
    ``max_time_increment`` (s), ``hold_growth`` (-), ``max_relaxation_change`` (-, fraction of a viscoelastic
    material's unrelaxed modulus that may relax away between the ends of a ramp increment: case.plan)."""

    linear: Literal["auto", "amg", "direct", "pardiso"] = "auto"
    rtol: Rtol = 1e-8
    max_temperature_increment: PosTempDiff = 10.0
    max_time_increment: PosTime | None = None
    hold_growth: Annotated[float, Field(strict=False, gt=1.0, le=10.0)] | None = 2.0
    max_relaxation_change: Annotated[float, Field(strict=False, gt=0.0, le=1.0)] | None = 0.05
    newton: Newton = Field(default_factory=Newton)


class Thermal(CaseModel):
    """Temperature inside the package. ``uniform`` (default): the oven temperature everywhere. ``transient``:
    heat conduction with convection h (W/(m^2 K)) to the oven temperature on the outer surface groups
    ``bottom`` (carrier 1 bottom), ``top`` (carrier 2 top) and ``sides``; symmetry planes are adiabatic.
    ``theta``: 1 backward Euler, 0.5 Crank-Nicolson."""

    mode: Literal["uniform", "transient"] = "uniform"
    h: dict[SurfaceName, Htc] = Field(default_factory=lambda: {s: 25.0 for s in THERMAL_SURFACES})
    theta: Annotated[float, Field(ge=0.5, le=1.0)] = 1.0


# ----------------------------------------------------------------------------------------------- case


class Case(CaseModel):
    """A validated case. Build it with :func:`load_case` (which also runs the material and cross-field checks).

    Attributes:
        schema_version: 1.
        name: case name (output folder name).
        structure: ``stacked_flipchip`` (reads :attr:`package`) or ``laminate`` (reads :attr:`laminate`).
        package, laminate: the structure (the other one is None).
        materials: the case's own ``materials:`` section as given (raw; see :attr:`materials_resolved`).
        load, mesh, output, solver, thermal: see their classes.
        moisture: the moisture coupling of a process history (:class:`~fcpkg_fem.case.schema_moisture.MoistureOptions`,
            docs/moisture.md); None: the defaults.
        models: constitutive model (a registered one: :func:`fcpkg_fem.constitutive.model_names`) by region name,
            region kind (``bumps``, ``vias``, ``adhesive``, ``encapsulant``, ``balls``, ...) or material name;
            default ``elastic``. Region beats kind beats material.
        submodel: refined local models of chosen joints (:class:`~fcpkg_fem.case.schema_submodel.Submodel`;
            process histories only).
    """

    schema_version: Literal[1]
    name: CaseName
    structure: Literal["stacked_flipchip", "laminate"]
    package: Package | None = None
    laminate: Laminate | None = None
    materials: dict[str, Any] | None = None
    load: Load
    mesh: MeshSpec
    output: Output = Field(default_factory=Output)
    solver: Solver = Field(default_factory=Solver)
    thermal: Thermal = Field(default_factory=Thermal)
    moisture: MoistureOptions | None = Field(default=None, exclude_if=lambda v: v is None)  # not hashed when absent
    models: dict[str, ModelName] = Field(default_factory=dict)
    submodel: Submodel | None = Field(default=None, exclude_if=lambda v: v is None)  # not hashed when absent

    _materials: dict = PrivateAttr(default_factory=dict)
    _raw: dict = PrivateAttr(default_factory=dict)
    _plan: tuple | None = PrivateAttr(default=None)  # (inputs, steps): the plan made at validation (case.plan)

    @model_validator(mode="after")
    def _structure(self) -> "Case":
        want = "package" if self.structure == "stacked_flipchip" else "laminate"
        other = "laminate" if want == "package" else "package"
        probs = []
        if getattr(self, want) is None:
            probs.append((want, f"is required for structure '{self.structure}'"))
        if getattr(self, other) is not None:
            probs.append((other, f"does not apply to structure '{self.structure}' (it uses '{want}'); remove it"))
        if probs:
            raise fail(probs[0][1], probs)
        return self

    @property
    def materials_resolved(self) -> dict:
        """Material name -> Material (library plus the case's ``materials:`` section)."""
        return self._materials

    def region_materials(self) -> dict[str, str]:
        """Every region name of the case -> its material name (names from :mod:`fcpkg_fem.case.names`)."""
        out: dict[str, str] = {}
        if self.laminate is not None:
            for layer in self.laminate.layers:
                out[rn.laminate_layer(layer.name)] = layer.material
            return out
        p = self.package
        assert p is not None
        for num, side in ((1, "bottom"), (2, "top")):
            for layer in getattr(p.carriers, side).layers:
                out[rn.carrier_layer(num, layer.name)] = layer.material
        for _, chip in p.chips:
            out[rn.chip(chip.name)] = chip.material
            out[rn.bumps(chip.name)] = chip.bumps.material
        out[rn.ADHESIVE] = p.adhesive.material
        out[rn.ENCAPSULANT] = p.encapsulant.material
        ic = p.interconnect
        if ic.kind == "vias":
            out[rn.VIAS] = ic.material  # type: ignore[assignment]
            if ic.fill == "plated":
                out[rn.VIA_FILL] = ic.fill_material  # type: ignore[assignment]
        elif ic.kind == "traces":
            out[rn.TRACES] = ic.material  # type: ignore[assignment]
        if p.top_balls is not None:
            out[rn.TOP_BALLS] = p.top_balls.material
        if p.bottom_balls is not None:
            out[rn.BOTTOM_BALLS] = p.bottom_balls.material
        return out

    def input_dict(self) -> dict:
        """The case as read (after overrides, before validation): ``load_case(case.input_dict())`` rebuilds it."""
        return copy.deepcopy(self._raw)

    def region_names(self) -> list[str]:
        return list(self.region_materials())

    def stress_free_temperatures(self, regions: Iterable[str], region_material: dict[str, str]) -> dict[str, float]:
        """Region -> stress-free temperature in degC (:meth:`Load.stress_free`) for the regions of a mesh."""
        return {r: float(self.load.stress_free(r, region_material[r])) for r in regions}

    def resolved_dict(self) -> dict:
        """JSON-safe dict of the validated case, quantities in SI (see ``units``), derived defaults filled."""
        d = self.model_dump(mode="json")
        d["units"] = dict(UNIT_CONVENTION)
        if self.package is not None:
            p = self.package
            d["derived"] = {
                "gap": p.gap,
                "bumps": {c.name: int(len(layout.bump_centres(c))) for _, c in p.chips},
                "vias": int(len(layout.via_centres(p))),
                "traces": int(len(layout.trace_strips(p)[0])),
                "top_balls": int(len(layout.ball_centres(p.top_balls, p.carriers.top))),
                "bottom_balls": int(len(layout.ball_centres(p.bottom_balls, p.carriers.bottom))),
            }
        return d

    def hash(self) -> str:
        """SHA-256 (hex) of :meth:`resolved_dict` in canonical JSON: equal cases give equal hashes."""
        text = json.dumps(self.resolved_dict(), sort_keys=True, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def region_models(case: Case) -> dict[str, str]:
    """Region -> constitutive model name from ``case.models`` (region beats kind beats material; default
    ``elastic``)."""
    out = {}
    for region, mat in case.region_materials().items():
        m = case.models
        out[region] = m.get(region) or m.get(rn.kind(region)) or m.get(mat) or "elastic"
    return out
