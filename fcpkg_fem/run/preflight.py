"""Checks that run before anything expensive or anything is written.

* :func:`estimate`: elements, nodes, unknowns (:func:`fcpkg_fem.mesh.estimate.mesh_size`) and peak memory of a
  case, so that a case too large for the machine is refused in a second, not after minutes;
* :func:`available_memory`: what the machine can give (``/proc/meminfo``, cgroup limit, ``os.sysconf``);
* :func:`preflight`: the output folder confined (:func:`fcpkg_fem.case.paths.confine`), the memory check and a
  write probe of the run folder, at the start of :func:`fcpkg_fem.run.pipeline.run`.

Every refusal is an :class:`~fcpkg_fem.errors.InputError` (exit code 2) naming the field to change.
The estimate's accuracy, measured against real meshes, is stated in docs/robustness.md.
"""

from __future__ import annotations

import contextlib
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from fcpkg_fem.case.paths import confine
from fcpkg_fem.case.plan import plan
from fcpkg_fem.errors import InputError, Problem, StorageError
from fcpkg_fem.geometry.build import build_geometry
from fcpkg_fem.mesh.estimate import MeshSize, exact_mesh_size, mesh_size
from fcpkg_fem.solve.linear import PARDISO_SINGLE_MIN, auto_method

MEMORY_LIMIT_ENV = "FCPKG_MEMORY_LIMIT"
"""Environment variable that overrides the detected available memory (bytes, or a number with kB/MB/GB/
KiB/MiB/GiB); for tests and for users who want a tighter bound than the machine's."""


# ------------------------------------------------------------------------------------------------ memory


def _parse_bytes(text: str) -> int:
    units = {"": 1, "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
             "k": 1024, "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
             "m": 1024**2, "g": 1024**3}
    t = text.strip().lower().replace(" ", "")
    num = t.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = t[len(num):]
    if unit not in units or not num:
        raise ValueError(text)
    value = float(num) * units[unit]
    if not value > 0 or not math.isfinite(value):
        raise ValueError(text)
    return int(value)


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024  # the file says kB and means KiB
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cgroup_available() -> int | None:
    """Room left under a cgroup v2 memory limit (containers, batch schedulers), if there is one."""
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit == "max":
            return None
        used = int(Path("/sys/fs/cgroup/memory.current").read_text().strip())
        return max(int(limit) - used, 0)
    except (OSError, ValueError):
        return None


def _sysconf_available() -> int | None:
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        return None


@dataclass(frozen=True)
class Memory:
    """Memory the run may use: ``available`` bytes, and where the figure came from (``source``)."""

    available: int
    source: str


def available_memory() -> Memory | None:
    """Bytes the machine can give a new run now; None when it cannot be told.

    ``FCPKG_MEMORY_LIMIT`` (e.g. ``2 GB``) wins; otherwise ``MemAvailable`` of ``/proc/meminfo``, lowered to the
    room left under a cgroup v2 limit when there is one; otherwise ``os.sysconf`` free physical pages.
    """
    env = os.environ.get(MEMORY_LIMIT_ENV)
    if env:
        try:
            return Memory(_parse_bytes(env), f"{MEMORY_LIMIT_ENV}={env}")
        except ValueError:
            raise InputError.single(MEMORY_LIMIT_ENV, f"'{env}' is not a memory size; give e.g. 2000000000, "
                                                      "'2 GB' or '512 MiB'") from None
    avail = _meminfo_available()
    source = "/proc/meminfo MemAvailable"
    if avail is None:
        avail, source = _sysconf_available(), "os.sysconf free pages"
    cg = _cgroup_available()
    if cg is not None and (avail is None or cg < avail):
        avail, source = cg, "cgroup memory.max"
    return None if avail is None else Memory(int(avail), source)


# ------------------------------------------------------------------------------------------------ estimate


MEMORY_BASE = 180e6
"""Bytes of a run before its mesh (interpreter, numpy/scipy/skfem/gmsh/matplotlib, writing included): the
smallest run measured, ``cases/laminate_bimetal.yaml`` at ``mesh.size=1 mm`` with hex8i (144 elements, 735 dofs),
peaked at 183 MB on 2026-12-07 (benchmarks/bench_estimate.py, ru_maxrss). It was 230 MB until then, set from the
default laminate (6.6k dofs, 268 MB), whose mesh-dependent part (about 90 MB) it counted twice: the fixed part
is what a run holds with almost no mesh, and tiny meshes were 23-34 % over."""
MEMORY_ITERATIVE = (840e6, 1.25)
"""Peak bytes above the base with AMG-CG, for hex8/hex8i: ``a * (dofs / 1e5) ** b``. Measured 457, 840 and 1834 MB
above the base at 62.6k, 100k and 191k dofs (laminate, TAB, reference cases)."""
MEMORY_DIRECT = (2450e6, 1.6)
"""The same for a direct SuperLU solve (fill-in grows faster): 178 and 1158 MB above the base at 19.5k and 62.6k."""
MEMORY_HEX20 = {"amg": 2.5, "direct": 2.0}
"""hex20 over hex8i at equal dofs (denser rows: 3 x 81 couplings instead of 3 x 27): measured 1450 MB at 75k dofs
with AMG, 1550 MB at 49.6k direct. PARDISO takes the direct factor: it is a sparse factorization too, whose fill
depends on the mesh's separators more than on the row length that drives AMG's hierarchy (on the laminate at
6.6k dofs, PARDISO: hex20 88 MB, hex8i 60 MB above the base, a ratio of 1.5; 2026-12-07)."""
MEMORY_PARDISO = 1.73
"""MKL PARDISO (double precision) over AMG-CG at equal dofs: ``cases/tab_traces.yaml`` (100,350 dofs, 93,356
estimated) peaked at 1.566 GB on 2026-12-06."""
MEMORY_PARDISO_SINGLE = 0.63
"""PARDISO's single-precision factorization (from ``PARDISO_SINGLE_MIN`` unknowns on, solve/linear.py) over the
double one: ``cases/reference.yaml`` (271,758 dofs, 262,630 estimated) peaked at 3.29 GB on 2026-12-06, against
4.85 GB with the double factorization and the earlier assembly."""


MEMORY_HISTORY = (311e6, 77.1e3)
"""A process history (``load.steps``, hex8i, PARDISO): ``base + per_element * elements`` bytes, plus the kept fields
(:func:`kept_fields_bytes`). The state per integration point (stresses, strains, inelastic and hardening variables,
their committed copies), the element matrices and the kept factorization grow with the elements, and the linear
model above is 40-57 % low for such runs. Fitted to peaks net of kept fields: 841 MB at 6,869 elements (23,877
dofs) and 1,418 MB at 12,759 (43,362) on one-row reference structures, 5,493 MB at 67,238 (223,464; 2026-11-27,
reflow and cycles); docs/benchmarks.md."""


NNZ_PER_ROW = {"hex8": 74.0, "hex8i": 74.0, "hex20": 158.0}
"""Stored entries per row of the condensed stiffness matrix, by element: measured 72-75 (hex8i) and 154-161 (hex20)
on the shipped packages and the laminates from 13k unknowns on (benchmarks/bench_solvers.py); fewer on small meshes,
where more nodes lie on the boundary. hex8 has the hex8i pattern (the incompatible modes are condensed per element)."""


MEMORY_SINGLE_GROWTH = (271_758, 1.18)
"""Above this many unknowns the single-precision PARDISO excess grows as ``dofs ** 1.18`` from its value there
(the reference case, where the model above was fitted): the AMG exponent 1.25 times the single factor predicted
17.97 GB for the 1,073,400-unknown reference mesh, which peaked at 10.4 GB (one temperature); 1.18 is the growth
between that run and the 298,548-unknown one (2,443 MB; both 2026-12-07, docs/benchmarks.md)."""


def memory_model(dofs: float, element: str, solver: str) -> float:
    """Predicted peak bytes of ``api.run`` for a mesh of ``dofs`` unknowns (see the constants above)."""
    ref, growth = MEMORY_SINGLE_GROWTH
    if solver == "pardiso" and dofs > ref:
        return MEMORY_BASE + (memory_model(ref, element, solver) - MEMORY_BASE) * (dofs / ref) ** growth
    a, b = MEMORY_DIRECT if solver == "direct" else MEMORY_ITERATIVE
    excess = a * (max(dofs, 0.0) / 1e5) ** b
    if element == "hex20":
        excess *= MEMORY_HEX20["amg" if solver == "amg" else "direct"]
    if solver == "pardiso":
        excess *= MEMORY_PARDISO * (MEMORY_PARDISO_SINGLE if dofs >= PARDISO_SINGLE_MIN else 1.0)
    return MEMORY_BASE + excess


@dataclass
class Estimate(MeshSize):
    """Size of a case's mesh (:class:`~fcpkg_fem.mesh.estimate.MeshSize`) and run, predicted from the layout alone.

    Attributes:
        memory: predicted peak memory of ``run``, bytes.
        element: element type; solver: the linear solver ``auto`` will pick for this size (or the case's).
    """

    memory: int = 0
    element: str = ""
    solver: str = ""

    def line(self) -> str:
        return (f"estimate: ~{self.elements:,} {self.element} elements, ~{self.nodes:,} nodes, ~{self.dofs:,} "
                f"dofs, ~{format_bytes(self.memory)} peak memory ({self.footprint_cells:,} footprint cells x "
                f"{self.element_layers} element layers; {self.solver} solver)")


def format_bytes(n: float) -> str:
    """Bytes as a short MB / GB string (10^6, 10^9)."""
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"



FIELD_FLOATS_PER_CELL = 22  # stress, strain, mechanical strain (6 each), von Mises, born, inelastic strain, work
FIELD_FLOATS_PER_NODE = 4  # displacement (3), temperature


def kept_fields_bytes(case: Any, elements: int, nodes: int) -> float:
    """Bytes of the fields a process history keeps in memory until it writes them: one set per report time."""
    if case.load.mode != "steps":
        return 0.0
    reports = 1 + sum(len(s.report_times) for s in plan(case))  # the initial state, then every report time
    return 8.0 * reports * (FIELD_FLOATS_PER_CELL * elements + FIELD_FLOATS_PER_NODE * nodes)


def estimate(case: Any, exact: bool = False) -> Estimate:
    """Elements, nodes, dofs (:func:`fcpkg_fem.mesh.estimate.mesh_size`) and peak memory of ``case`` (validated),
    without meshing; the solver is the one ``auto`` will pick for this size (or the case's). ``exact``: count the
    elements, nodes and dofs on the meshed footprint instead (:func:`~fcpkg_fem.mesh.estimate.exact_mesh_size`,
    seconds)."""
    mc = case.mesh
    size = (exact_mesh_size if exact else mesh_size)(build_geometry(case), mc)
    solver = case.solver.linear
    if solver == "auto":  # the runtime's rule (solve/linear.py) on the predicted size and a typical row length
        solver = auto_method(size.dofs, NNZ_PER_ROW.get(mc.element, max(NNZ_PER_ROW.values())))
    memory = memory_model(size.dofs, mc.element, solver)
    if case.load.mode == "steps":
        memory = max(memory, MEMORY_HISTORY[0] + MEMORY_HISTORY[1] * size.elements)
    memory += kept_fields_bytes(case, size.elements, size.nodes)
    return Estimate(**vars(size), memory=int(min(memory, 2**62)), element=mc.element, solver=solver)


# ------------------------------------------------------------------------------------------------ preflight


def heaviest_slab(est: Estimate) -> str:
    """Where most of the predicted elements are, when one z-slab holds at least half of them; else ''."""
    slabs = est.details.get("slabs", [])
    total = sum(s["elements"] for s in slabs)
    if not slabs or total <= 0:
        return ""
    s = max(slabs, key=lambda s: s["elements"])
    if s["elements"] < 0.5 * total:
        return ""
    thick = s["z1"] - s["z0"]
    return (f"{s['elements'] / total:.0%} of the elements are in one {thick * 1e3:.4g} mm thick slab "
            f"({s['layers']:,.0f} element layers) holding {', '.join(s['regions'])}: check the thickness given "
            "for it (a bare number is read in mm)")


def coarsening_advice(case: Any) -> str:
    """Which fields make the mesh smaller, with their current values."""
    mc = case.mesh
    tips = [f"raise mesh.size (now {mc.size * 1e3:g} mm)",
            f"mesh.feature_size (now {mc.feature_size * 1e6:g} um)",
            f"mesh.max_layer_thickness (now {mc.max_layer_thickness * 1e6:g} um)"]
    if mc.symmetry != "quarter":
        tips.append(f"use mesh.symmetry: quarter (now {mc.symmetry}) if the layout is symmetric")
    if mc.element == "hex20":
        tips.append("use mesh.element: hex8i (about 4x fewer unknowns than hex20 on the same mesh)")
    if mc.min_elements_per_layer > 1 or mc.layer_elements:
        tips.append("lower mesh.min_elements_per_layer / mesh.layer_elements")
    return "; ".join(tips)


COUNT_MAX_CELLS = 200_000
"""A case refused on its prediction is counted on its meshed footprint first (:func:`check_memory`) when the
prediction has at most this many footprint cells: the reference at 0.1 mm / 15 um (63,501 predicted, 54,404
meshed) took 8.8 s with another job on the machine, the 1M-unknown reference (21,110 cells) 3.3 s. A larger
footprint is refused on the prediction: meshing it would keep a user waiting minutes for a refusal."""


def check_memory(case: Any, est: Estimate, force: bool = False, memory: Memory | None = None,
                 progress: Callable[[str], None] | None = None) -> None:
    """Refuse (InputError on ``mesh.size``) a case whose estimated peak memory exceeds what is available.

    Before refusing, the size is counted on the meshed footprint (:func:`estimate` with ``exact``): the prediction
    overshoots very fine meshes (1.5M unknowns predicted for a mesh of 1.07M), and a run that fits must not be
    refused for the prediction's error."""
    mem = memory if memory is not None else available_memory()
    if mem is None or force or est.memory <= mem.available:
        return
    if not est.details.get("footprint") and not est.details.get("column_footprint") \
            and est.footprint_cells <= COUNT_MAX_CELLS:
        est = estimate(case, exact=True)
        if progress is not None:
            progress(est.line() + ", counted on the meshed footprint")
        if est.memory <= mem.available:
            return
    raise InputError([Problem(
        "mesh.size",
        f"the case is too large for this machine: {est.line()[len('estimate: '):]}, but only "
        f"{format_bytes(mem.available)} is available ({mem.source}). "
        + (f"{where}. " if (where := heaviest_slab(est)) else "")
        + f"To coarsen it: {coarsening_advice(case)}. "
        "To run it anyway: --force (command line) or force=True (api.run).")])


def preflight(case: Any, out_dir: str | os.PathLike | None, *, write: bool = True, force: bool = False,
              progress: Callable[[str], None] | None = None) -> Path | None:
    """The checks at the start of a run, before anything expensive.

    1. When the run writes and no ``out_dir`` was chosen by the caller, the case's ``output.dir`` must stay
       inside the current directory (:func:`confine`); ``out_dir`` given by the caller is trusted.
    2. The size estimate is reported through ``progress`` and the run refused when its memory would exceed
       the machine's (:func:`check_memory`), unless ``force``.
    3. When the run writes, its folder is made and a small file written into it and removed
       (:func:`probe_folder`): a folder that cannot be written is found now, not after the solve.

    Returns:
        The run folder: ``out_dir`` as given, the confined ``output.dir`` (absolute), or ``runs/<case name>``;
        None when the run writes nothing.
    """
    field = "--out"
    if write and out_dir is None:
        if getattr(case.output, "dir", None):
            out_dir, field = confine(case.output.dir, Path.cwd(), "output.dir"), "output.dir"
        else:
            out_dir = Path("runs") / case.name
    est = estimate(case)
    if progress is not None:
        progress(est.line())
    check_memory(case, est, force=force, progress=progress)
    if not write:
        return None
    probe_folder(Path(out_dir), field)
    return Path(out_dir)


def probe_folder(folder: Path, field: str) -> None:
    """Make ``folder`` (with its parents) and write, sync and remove a 64 KiB file in it.

    Raises:
        InputError: ``folder`` names an existing file (``field`` is the option or case field that chose it).
        StorageError: the folder cannot be made or written (full disk, read-only, permission denied).
    """
    if folder.exists() and not folder.is_dir():
        raise InputError.single(field, f"'{folder}' is a file, not a folder; give a folder for the run's results")
    probe = folder / f".fcpkg-write-probe-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(probe, "wb") as fh:
            fh.write(bytes(1 << 16))
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as err:
        raise StorageError.of(err, folder) from err
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()
