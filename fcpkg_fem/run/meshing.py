"""The mesh of a case: geometry, the footprint (cached by content) and the sweep through the layers.

A footprint mesh depends only on the outlines, the sizes and the mesher; it is cached in a folder under a hash of
exactly those (:func:`footprint_key`), so that variants of a sweep that change only materials or loads mesh once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import signal
from pathlib import Path
import gmsh
import numpy as np

from fcpkg_fem.geometry.build import build_geometry
from fcpkg_fem.geometry.model import Geometry
from fcpkg_fem.io.atomic import atomic_path, clean_stale_temps
from fcpkg_fem.mesh.columns import COLUMN_MESHER_VERSION, mesh_column_footprint
from fcpkg_fem.mesh.footprint import Footprint, footprint_shapes, mesh_footprint
from fcpkg_fem.mesh.swept import PackageMesh, sweep
from fcpkg_fem.run.progress import ProgressFn as Progress
from fcpkg_fem.run.progress import say, status

MESHER_VERSION = "7"  # bump when the footprint mesher's output changes for the same input


def footprint_key(geom: Geometry, size: float, feature_size: float, circle_segments: int = 4) -> str:
    """Hash of everything that determines the footprint mesh."""
    shapes = sorted({(p.shape.kind, round(p.shape.cx, 12), round(p.shape.cy, 12), round(p.shape.a, 12),
                      round(p.shape.b, 12)) for p in geom.prisms})
    key = [MESHER_VERSION, gmsh.__version__, geom.domain, size, feature_size, circle_segments, shapes]
    if geom.interconnect == "column":  # the column mesher (mesh.interconnect: column); resolved keys unchanged
        key.append(["column", COLUMN_MESHER_VERSION])
    blob = json.dumps(key)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def _footprint_name(geom: Geometry, size: float, feature_size: float, circle_segments: int) -> str:
    return f"footprint-{footprint_key(geom, size, feature_size, circle_segments)}.npz"


def footprint_file(case) -> str:
    """The name of the case's footprint in a mesh cache folder (``footprint-<key>.npz``)."""
    mc = case.mesh
    return _footprint_name(build_geometry(case), mc.size, mc.feature_size, mc.circle_segments)


def keep_only_footprint(cache_dir: Path, name: str) -> None:
    """Remove the footprints of ``cache_dir`` other than ``name``: a run folder's own cache (beside its checkpoint)
    holds the footprint of the history it belongs to, not those of earlier cases run into the same folder."""
    for f in Path(cache_dir).glob("footprint-*.npz"):
        if f.name != name:
            with contextlib.suppress(OSError):
                f.unlink()


def get_footprint(geom: Geometry, size: float, feature_size: float, cache_dir: Path | None,
                  progress: Progress = None, circle_segments: int = 4) -> tuple[Footprint, bool]:
    """The footprint mesh, from ``cache_dir`` when it was made before. Returns (footprint, came_from_cache)."""
    path = None
    if cache_dir is not None:
        # a run killed while writing the cache leaves its temporary file; a later run may find the entry complete
        # (written by another) and never write there, so it clears them here, as a run does in its own folder;
        # an unreadable cache folder costs nothing here (the write below reports it)
        with contextlib.suppress(OSError):
            clean_stale_temps(cache_dir)
        path = Path(cache_dir) / _footprint_name(geom, size, feature_size, circle_segments)
        if path.exists():
            try:
                with np.load(path) as d:
                    return Footprint(points=d["points"], quads=d["quads"], shapes=tuple(footprint_shapes(geom)),
                                     quad_entity=d["quad_entity"], membership=d["membership"]), True
            except (OSError, ValueError, KeyError):
                pass  # a damaged cache entry is rebuilt
    mesher = mesh_column_footprint if geom.interconnect == "column" else mesh_footprint
    status(progress, phase="mesh", activity="footprint mesh (gmsh)")
    fp = mesher(geom, size, feature_size, progress=progress, circle_segments=circle_segments)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(path) as tmp:
                with open(tmp, "wb") as fh:
                    np.savez(fh, points=fp.points, quads=fp.quads, quad_entity=fp.quad_entity,
                             membership=fp.membership)
        except OSError as err:  # StorageError included
            # the cache only saves time: a full or read-only cache folder must not cost the run
            say(progress, f"warning: mesh cache not written ({err}); the run goes on without it")
    return fp, False


def _restore_sigterm() -> None:
    """gmsh's library sets SIGTERM back to the default action when it starts: give the process's own handler (the
    command line's, which ends a run like Ctrl-C) back to the operating system."""
    with contextlib.suppress(ValueError, TypeError):  # not the main thread, or no Python-level handler known
        signal.signal(signal.SIGTERM, signal.getsignal(signal.SIGTERM))


def mesh_case(case, cache_dir: str | Path | None = None, progress: Progress = None) -> PackageMesh:
    """Geometry and hexahedral mesh of a validated case."""
    geom = build_geometry(case)
    mc = case.mesh
    fp, _ = get_footprint(geom, mc.size, mc.feature_size, Path(cache_dir) if cache_dir else None, progress,
                          mc.circle_segments)
    _restore_sigterm()
    say(progress, f"mesh: sweeping {len(fp.quads)} footprint cells through {len(geom.z_planes) - 1} slabs")
    status(progress, phase="mesh", activity="sweeping the footprint through the layers")
    return sweep(geom, fp, mc.max_layer_thickness, mc.min_elements_per_layer)
