"""The result of a run: what post-processing hands to the writers and to API users.

``RunResult.summary`` is exactly the content of ``summary.json`` (schema in docs/outputs.md);
the arrays beside it are what the VTU writer and the plots need. Units: arrays in SI (m, degC) unless their key
says otherwise (``stress_MPa``);
the summary uses unit-suffixed keys (``_um``, ``_MPa``, ``_C``, ``_mm``, ``_s``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

SUMMARY_SCHEMA = "fcpkg-fem/summary"
SUMMARY_SCHEMA_VERSION = 1


@dataclass
class FieldSet:
    """Fields at one output time, on the linear (8-node hexahedron) skeleton of the mesh.

    Attributes:
        point_data: name -> array of shape (n_points,) or (n_points, k), e.g. ``displacement`` (n_points, 3) in m,
            ``temperature`` (n_points,) in degC.
        cell_data: name -> array of shape (n_cells,) or (n_cells, k); the key carries the unit where there is one:
            ``stress_MPa`` (n_cells, 6) in MPa in Voigt order [xx, yy, zz, yz, xz, xy], ``von_mises_MPa``
            (n_cells,), ``strain`` and ``mech_strain`` (n_cells, 6, engineering shears, dimensionless).
    """

    point_data: dict[str, np.ndarray] = field(default_factory=dict)
    cell_data: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class FaceSample:
    """Out-of-plane displacement sampled on one carrier face, mirrored to the full package.

    Attributes:
        x, y: (n,) in-plane coordinates in m.
        w: (n,) displacement normal to the face in m, positive along +z.
        w_detrended: (n,) w with the least-squares plane removed, in m.
    """

    x: np.ndarray
    y: np.ndarray
    w: np.ndarray
    w_detrended: np.ndarray


@dataclass
class RunResult:
    """Everything one run produced.

    Attributes:
        summary: the summary.json content (plain JSON types only).
        points: (n_points, 3) vertex coordinates in m.
        cells: (n_cells, 8) hexahedron connectivity in VTK order.
        region_names: region name of each region index.
        cell_region: (n_cells,) region index of each cell.
        fields: one FieldSet per output time (same order as ``summary["outputs"]``).
        faces: one dict per output time: face key (``"bottom"``, ``"top"``) -> FaceSample.
        history: one flat row per output time (per increment in a process history) for history.csv.
        newton: per increment of a process history: step, time, Newton iterations, cut-backs and the relative
            residual after each iteration (empty otherwise).
        vapour: per increment and interface of a history that models moisture, the peak vapour pressure and
            where (the rows of vapour_pressure.csv, :func:`fcpkg_fem.run.record.vapour_rows`; empty otherwise).
        dry_history: with ``moisture.compare_dry``, the history rows of the same history run without swelling
            (drawn beside this run's warpage); None otherwise.
        out_dir: folder the writers write into (None: nothing written yet).
    """

    summary: dict[str, Any]
    points: np.ndarray
    cells: np.ndarray
    region_names: list[str]
    cell_region: np.ndarray
    fields: list[FieldSet] = field(default_factory=list)
    faces: list[dict[str, FaceSample]] = field(default_factory=list)
    history: list[dict[str, float]] = field(default_factory=list)
    newton: list[dict[str, Any]] = field(default_factory=list)
    vapour: list[dict[str, Any]] = field(default_factory=list)
    dry_history: list[dict[str, float]] | None = None
    out_dir: Path | None = None

    @property
    def outputs(self) -> list[dict[str, Any]]:
        """Per output time summaries (``summary["outputs"]``)."""
        return self.summary["outputs"]

    def warpage(self, face: str = "bottom") -> np.ndarray:
        """Signed warpage of ``face`` at every output time, in um (JEDEC sign: positive = convex)."""
        return np.array([o["warpage"][face]["signed_um"] for o in self.outputs])
