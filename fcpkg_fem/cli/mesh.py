"""``fcpkg mesh CASE``: build the mesh only; print regions, sizes and element quality; optionally write a VTU."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from fcpkg_fem import api
from fcpkg_fem.run import preflight as guard
from fcpkg_fem.errors import InputError
from fcpkg_fem.io.atomic import atomic_write_text
from fcpkg_fem.io.vtu import VtuGeometry, write_vtu_file

from .common import Progress, add_case_args, add_mesh_cache_arg, length, load, table

# VTK hexahedron: the 12 edges, and for each corner its three neighbours ordered so that a right-handed
# element has a positive corner Jacobian (checked on the unit cube).
HEX_EDGES = np.array([[0, 1], [1, 2], [2, 3], [3, 0], [4, 5], [5, 6], [6, 7], [7, 4],
                      [0, 4], [1, 5], [2, 6], [3, 7]])
HEX_CORNER_NEIGHBOURS = np.array([[1, 3, 4], [2, 0, 5], [3, 1, 6], [0, 2, 7],
                                  [7, 5, 0], [4, 6, 1], [5, 7, 2], [6, 4, 3]])


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("mesh", help="mesh a case only: regions, element counts, quality; optional VTU",
                       description="Build the geometry and the hexahedral mesh of CASE; print the element count "
                                   "of every region, totals and element quality. Nothing is solved.")
    add_case_args(p)
    add_mesh_cache_arg(p)
    p.add_argument("--out", metavar="FILE.vtu", help="write the mesh (coordinates in m) with a 'region' cell "
                   "array; region ids -> names go to FILE.regions.json")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=cmd)
    return p


def hex_quality(points: np.ndarray, cells: np.ndarray) -> dict[str, np.ndarray]:
    """Per-element quality of 8-node hexahedra.

    Args:
        points: (n_points, 3) coordinates.
        cells: (n_cells, 8) connectivity in VTK order.

    Returns:
        ``aspect_ratio`` (n_cells,): longest over shortest edge (>= 1); ``min_edge`` (n_cells,) in the units of
        ``points``; ``scaled_jacobian`` (n_cells,): the smallest corner determinant of the three unit edge
        vectors (1 for a box, <= 0 for an inverted corner), with the sign of the element's orientation removed.
    """
    x = points[cells]                                              # (n, 8, 3)
    e = np.linalg.norm(x[:, HEX_EDGES[:, 1]] - x[:, HEX_EDGES[:, 0]], axis=2)  # (n, 12)
    nb = x[:, HEX_CORNER_NEIGHBOURS] - x[:, :, None, :]            # (n, 8, 3 neighbours, 3)
    nb = nb / np.maximum(np.linalg.norm(nb, axis=3, keepdims=True), 1e-300)
    det = np.linalg.det(nb)                                        # (n, 8)
    # a mesh may list every element in the mirror orientation; that is a convention, not a defect
    orient = np.where(det.sum(axis=1) < 0, -1.0, 1.0)
    return {"aspect_ratio": e.max(axis=1) / np.maximum(e.min(axis=1), 1e-300), "min_edge": e.min(axis=1),
            "scaled_jacobian": (det * orient[:, None]).min(axis=1)}


def dofs_estimate(pmesh, element: str) -> int:
    """Displacement unknowns before constraints: 3 per vertex, plus 3 per edge midside node for hex20.

    (hex8i's incompatible modes are element-internal and condensed out, so they do not count.)
    """
    m = pmesh.mesh
    n = m.nvertices + (m.edges.shape[1] if element == "hex20" else 0)
    return 3 * int(n)


def write_vtu(path: Path, pmesh) -> list[Path]:
    """The mesh as VTU with a ``region`` cell array, and ``<stem>.regions.json`` (id -> name)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_vtu_file(path, VtuGeometry.of(pmesh.mesh.p.T, pmesh.cells_vtk,
                                        {"region": pmesh.cell_region.astype(np.int32)}))
    side = path.with_suffix(".regions.json")
    atomic_write_text(side, json.dumps({str(i): n for i, n in enumerate(pmesh.region_names)}, indent=2) + "\n")
    return [path, side]


def cmd(args: argparse.Namespace) -> int:
    if args.out and not args.out.lower().endswith(".vtu"):
        raise InputError.single("--out", f"'{args.out}': the mesh is written as VTU; give a file name ending in .vtu")
    case = load(args)
    with Progress(args.quiet) as progress:  # the live line is gone before the tables are printed
        progress(guard.estimate(case).line())  # the same estimate fcpkg run and check print, to compare with
        pmesh = api.mesh_case(case, cache_dir=args.mesh_cache, progress=progress)
    element = case.mesh.element
    q = hex_quality(pmesh.mesh.p.T, pmesh.cells_vtk)
    rows = []
    for i, name in enumerate(pmesh.region_names):
        sel = pmesh.cell_region == i
        rows.append([name, pmesh.region_material[name], str(int(sel.sum())),
                     f"{q['aspect_ratio'][sel].max():.1f}", f"{q['scaled_jacobian'][sel].min():.3f}"])
    print(f"mesh of case '{case.name}' ({pmesh.geometry.symmetry} model, {element})")
    print(table(["region", "material", "elements", "max aspect", "min scaled jac"], rows))
    m = pmesh.mesh
    print(f"total: {m.nelements} elements, {m.nvertices} vertices, ~{dofs_estimate(pmesh, element)} dofs "
          f"({element}, before constraints), {len(pmesh.z_levels) - 1} element layers")
    print(f"quality: aspect ratio {q['aspect_ratio'].min():.2f} .. {q['aspect_ratio'].max():.1f} "
          f"(median {np.median(q['aspect_ratio']):.1f}), min scaled Jacobian {q['scaled_jacobian'].min():.3f}, "
          f"shortest edge {length(float(q['min_edge'].min()))}")
    if args.out:
        written = write_vtu(Path(args.out), pmesh)
        print("wrote " + ", ".join(str(p) for p in written))
    return 0
