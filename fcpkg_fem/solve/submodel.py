"""Submodel boundary: what a global history run records in a cut box, and how it drives the local model.

A global run with a :class:`BoxRecorder` among the history solver's observers keeps, for one box of extracted
global elements (:class:`fcpkg_fem.mesh.submesh.Submesh`), every (sub)increment it commits: its length (s), the
box elements' temperatures (degC) and chemical strains, and the displacement (m) of every vertex of the box; also
the displacement after each step's births and at the start of every ``advance`` piece (after melting and
solidification), where the elastic extension into unborn parts may have moved nodes that only unborn elements
touch. That is what the local model needs to repeat the global history exactly: the same sub-increments
(solidus splits and cut-backs included), the same temperatures, the same boundary values.

The local model is a :class:`SubmodelProblem`: the local mesh with the global symmetry conditions where it touches
a symmetry plane and every dof of a cut-face node prescribed (no 3-2-1 points: the cut faces hold it). The
prescribed values are the global displacement interpolated with the parent global element's trilinear (hex8
nodal) shape functions at the local node (:func:`boundary_matrix`): a copy in an unrefined extraction. For hex8i
the global element's incompatible modes are internal to it and not interpolated.

Units: SI (m, s, Pa), temperatures in degC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ..errors import InputError
from ..mesh.submesh import Submesh
from .mechanical import MechanicalProblem

KINDS = ("start", "commit", "step", "increment")


class SubmodelProblem(MechanicalProblem):
    """The discrete problem of a submodel: ``sub.pmesh`` with the global model's symmetry conditions on the
    symmetry planes it touches and every dof of ``sub.cut_nodes`` prescribed (``D``: those and the symmetry
    dofs; their values come from :func:`boundary_matrix`). Other arguments as :class:`MechanicalProblem`;
    ``hex20`` is refused (the cut faces are interpolated with hex8 nodal shape functions)."""

    def __init__(self, sub: Submesh, materials: dict, stress_free_C: dict[str, float], element: str = "hex8i",
                 linear: str = "auto", rtol: float = 1e-8):
        if element not in ("hex8", "hex8i"):
            raise InputError.single("mesh.element", f"a submodel needs hex8 or hex8i elements, not {element!r}")
        self.sub = sub
        super().__init__(sub.pmesh, materials, stress_free_C, element=element, linear=linear, rtol=rtol)

    def _constrained_dofs(self) -> np.ndarray:
        m = self.pmesh.mesh
        ib = self.basis
        D = [self.basis.nodal_dofs[:, self.sub.cut_nodes].ravel()]
        if "sym_x0" in m.boundaries:
            D.append(ib.get_dofs(m.boundaries["sym_x0"]).all("u^1"))
        if "sym_y0" in m.boundaries:
            D.append(ib.get_dofs(m.boundaries["sym_y0"]).all("u^2"))
        return np.unique(np.concatenate([np.asarray(d, dtype=np.int64) for d in D]))


def interpolation_matrix(sub: Submesh, nodal_dofs: np.ndarray) -> sp.csr_matrix:
    """(n_local_dofs, 3 n_box_vertices) sparse: local displacement = matrix @ global box displacement.

    The global box displacement is vertex-major (x, y, z of ``sub.box_vertices[0]``, then of the next); each local
    node takes its parent element's trilinear shape functions at its reference coordinates. ``nodal_dofs``: the
    local basis's (3, n_nodes) dof numbers."""
    cols, w = sub.interpolation()
    n = nodal_dofs.shape[1]
    rows, cc, vals = [], [], []
    for c in range(3):
        rows.append(np.repeat(nodal_dofs[c], 8))
        cc.append((3 * cols + c).ravel())
        vals.append(w.ravel())
    shape = (3 * n, 3 * len(sub.box_vertices))
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cc))), shape=shape)


def boundary_matrix(problem: SubmodelProblem, u_vertices: np.ndarray | None = None) -> sp.csr_matrix:
    """(len(problem.D), 3 n_u): the prescribed values of ``problem.D`` from the global displacement (m) of
    ``u_vertices`` (ascending, a subset of the box's vertices; None: all of them, n_u = n_box_vertices). With
    ``u_vertices`` the symmetry dofs off the cut faces get zero rows (their value is 0).

    Raises:
        InputError: a prescribed value needs a vertex outside ``u_vertices`` (a record of other boxes)."""
    P = interpolation_matrix(problem.sub, problem.basis.nodal_dofs)[problem.D]
    if u_vertices is None:
        return P
    # a symmetry dof off the cut faces takes 0, the global model's own value there (u_n = 0 on its plane), not an
    # interpolation from vertices inside the box, which a record of the cut faces does not hold
    cut = np.isin(problem.D, problem.basis.nodal_dofs[:, problem.sub.cut_nodes].ravel())
    P = (sp.diags(cut.astype(float)) @ P).tocsr()
    P.eliminate_zeros()
    bv = problem.sub.box_vertices
    pos = np.searchsorted(bv, u_vertices)
    inside = pos.max(initial=0) < len(bv) and np.array_equal(bv[np.minimum(pos, len(bv) - 1)], u_vertices)
    cols = (3 * pos[:, None] + np.arange(3)).ravel()
    keep = np.zeros(P.shape[1], dtype=bool)
    if inside:
        keep[cols] = True
    P = P.tocsc()
    if not inside or np.any(P[:, ~keep].data != 0.0):
        raise InputError.single("submodel", "the boundary record lacks the displacement of vertices the local "
                                "model's cut faces are interpolated from (a record of other boxes)")
    return P[:, cols].tocsr()


@dataclass
class BoundaryRecord:
    """What a global history run kept of one box, in the order it happened.

    Attributes:
        box_elements: (n_sel,) global elements of the box; box_vertices: (n_v,) their vertices, ascending.
        volumes: (n_sel,) the box elements' volumes, m^3.
        joint: (region, item id) the box was cut for.
        kinds: event kinds, each one of :data:`KINDS`; index: position of each event in its kind's list.
        data: kind -> list of dicts of arrays (``start``: u; ``commit``: dt, T, chem, u; ``step``: name, births,
            u; ``increment``: step, t, and with fields: u, sig (n_sel, n_qp, 6) Pa, W (n_sel,) J/m^3, eq (n_sel,)).
        Displacements ``u`` are (3 n_u,) vertex-major over :attr:`uv`, m.
        u_vertices: (n_u,) ascending, the vertices whose displacement is recorded, a subset of ``box_vertices``:
            those a local model's cut faces are interpolated from (:func:`needed_vertices`); None: all of them.
        saved: the parts a run's checkpoints hold, [step index, SHA-256, events so far] each
            (:mod:`fcpkg_fem.run.checkpoint`).
    """

    box_elements: np.ndarray
    box_vertices: np.ndarray
    volumes: np.ndarray
    joint: tuple[str, int]
    kinds: list = field(default_factory=list)
    index: list = field(default_factory=list)
    saved: list = field(default_factory=list)  # [step, SHA-256, events so far] per checkpointed part (run layer)
    data: dict = field(default_factory=lambda: {k: [] for k in KINDS})
    u_vertices: np.ndarray | None = None

    @property
    def uv(self) -> np.ndarray:
        """(n_u,) the vertices whose displacement ``u`` holds (ascending)."""
        return self.box_vertices if self.u_vertices is None else self.u_vertices

    def add(self, kind: str, **values) -> None:
        self.kinds.append(kind)
        self.index.append(len(self.data[kind]))
        self.data[kind].append(values)

    def events(self):
        """(kind, values) in the order recorded."""
        for k, i in zip(self.kinds, self.index):
            yield k, self.data[k][i]

    def increments(self) -> list[dict]:
        """The ``increment`` entries (step, t and, when recorded, the box fields)."""
        return self.data["increment"]

    def nbytes(self) -> int:
        """Bytes held by the record's arrays."""
        return int(sum(np.asarray(v).nbytes for rows in self.data.values() for row in rows for v in row.values()
                       if not isinstance(v, str)))

    def restrict(self, sub: Submesh) -> "BoundaryRecord":
        """The record of the box of ``sub`` cut out of this record (made over a union of boxes holding it): the
        same events with the displacements of ``sub.box_vertices`` and the element arrays of
        ``sub.global_elements``; exact copies of the recorded numbers.

        Raises:
            InputError: ``sub``'s box is not inside the recorded elements (another mesh or box)."""
        return self.restrict_to(sub.global_elements, sub.box_vertices, (sub.box.region, sub.box.item))

    def restrict_to(self, elements: np.ndarray, vertices: np.ndarray, joint: tuple[str, int]) -> "BoundaryRecord":
        """:meth:`restrict` to the ascending global ``elements`` and ``vertices`` of ``joint``'s box (what a
        submodel of it reads: :func:`fcpkg_fem.run.submodel.recorded_elements` and their vertices), without its
        local mesh."""
        ei = np.searchsorted(self.box_elements, elements)
        vi = np.searchsorted(self.box_vertices, vertices)
        if (ei.max(initial=0) >= len(self.box_elements) or vi.max(initial=0) >= len(self.box_vertices)
                or not np.array_equal(self.box_elements[ei], elements)
                or not np.array_equal(self.box_vertices[vi], vertices)):
            raise InputError.single("submodel", "the joint's box is not inside the recorded global elements")
        uv = self.uv[np.isin(self.uv, vertices)]
        dof = (3 * np.searchsorted(self.uv, uv)[:, None] + np.arange(3)).ravel()
        out = BoundaryRecord(elements, vertices, self.volumes[ei], joint,
                             u_vertices=None if self.u_vertices is None else uv)
        out.kinds, out.index = list(self.kinds), list(self.index)
        per_element = ("T", "chem", "sig", "W", "eq")
        for kind, rows in self.data.items():
            out.data[kind] = [{k: (v[dof] if k == "u" else v[ei] if k in per_element and np.ndim(v) else v)
                               for k, v in row.items()} for row in rows]
        return out

    def part(self, start: int) -> "BoundaryRecord":
        """The events from the ``start``-th on, as a record of the same box (what a checkpoint adds per step)."""
        out = BoundaryRecord(self.box_elements, self.box_vertices, self.volumes, self.joint,
                             u_vertices=self.u_vertices)
        for kind, i in zip(self.kinds[start:], self.index[start:]):
            out.add(kind, **self.data[kind][i])
        return out

    def extend(self, other: "BoundaryRecord") -> None:
        """Append ``other``'s events (a :meth:`part` of a record of the same box).

        Raises:
            ValueError: ``other`` is of another box or holds other vertices' displacement (also one written before
                the record kept only the cut faces' vertices: every vertex of the boxes)."""
        if not (np.array_equal(other.box_elements, self.box_elements)
                and np.array_equal(other.box_vertices, self.box_vertices)):
            raise ValueError("the record part is of another box")
        if other.u_vertices is None and self.u_vertices is not None:
            raise ValueError("the record part holds the displacement of every vertex of the boxes, as versions of "
                             "fcpkg before the record kept only the cut faces' vertices wrote it")
        if not np.array_equal(other.uv, self.uv):
            raise ValueError("the record part holds the displacement of other cut-face vertices")
        for kind, values in other.events():
            self.add(kind, **values)

    def save(self, path) -> None:
        """Write to ``path`` (.npz, no pickle)."""
        out = {"box_elements": self.box_elements, "box_vertices": self.box_vertices, "volumes": self.volumes,
               "joint_region": np.array(self.joint[0]), "joint_item": np.array(self.joint[1]),
               "kinds": np.array(self.kinds), "index": np.array(self.index, dtype=np.int64)}
        if self.u_vertices is not None:
            out["u_vertices"] = self.u_vertices
        for kind, rows in self.data.items():
            for i, row in enumerate(rows):
                for key, v in row.items():
                    out[f"{kind}:{i}:{key}"] = np.asarray(v)
        np.savez_compressed(path, **out)

    @classmethod
    def load(cls, path) -> "BoundaryRecord":
        """Read a record written by :meth:`save`."""
        with np.load(Path(path), allow_pickle=False) as d:
            rec = cls(d["box_elements"], d["box_vertices"], d["volumes"],
                      (str(d["joint_region"]), int(d["joint_item"])))
            rec.u_vertices = d["u_vertices"] if "u_vertices" in d.files else None
            rec.kinds = [str(k) for k in d["kinds"]]
            rec.index = [int(i) for i in d["index"]]
            rows = {k: {} for k in KINDS}
            for name in d.files:
                if name.count(":") != 2:
                    continue
                kind, i, key = name.split(":")
                v = d[name]
                rows[kind].setdefault(int(i), {})[key] = v.item() if v.ndim == 0 else v
            for kind in KINDS:
                rec.data[kind] = [rows[kind][i] for i in range(len(rows[kind]))]
        for row in rec.data["step"]:
            row["births"] = tuple(str(b) for b in np.atleast_1d(row.get("births", ())))
        return rec


class BoxRecorder:
    """A history-solver observer that fills a :class:`BoundaryRecord` for one box.

    Args:
        problem: the global MechanicalProblem.
        sub: the submesh of the box (only its ``global_elements``, ``box_vertices`` and ``box`` are used).
        fields: also keep, after each planned increment, the box's displacement, quadrature-point stresses and
            inelastic work and strain per element (for comparisons; about 0.5 kB per element and increment).
    """

    def __init__(self, problem, sub: Submesh, fields: bool = False):
        self._setup(problem, sub.global_elements, sub.box_vertices, (sub.box.region, sub.box.item), fields)

    @classmethod
    def over(cls, problem, elements: np.ndarray, vertices: np.ndarray, fields: bool = False,
             u_vertices: np.ndarray | None = None) -> "BoxRecorder":
        """A recorder of the global elements ``elements`` (ascending) and vertices ``vertices`` (ascending, every
        vertex of those elements): e.g. the union of several boxes, each cut out later with
        :meth:`BoundaryRecord.restrict`; its record's joint is ("", -1). ``u_vertices``: record the displacement
        of these only (ascending, a subset of ``vertices``: e.g. :func:`needed_vertices` of each box); ignored with
        ``fields`` (the comparisons read the whole box)."""
        self = cls.__new__(cls)
        self._setup(problem, np.asarray(elements), np.asarray(vertices), ("", -1), fields,
                    None if fields or u_vertices is None else np.asarray(u_vertices))
        return self

    def _setup(self, problem, els: np.ndarray, vertices: np.ndarray, joint: tuple[str, int], fields: bool,
               u_vertices: np.ndarray | None = None) -> None:
        self.els = els
        self.dofs = problem.basis.nodal_dofs[:, vertices if u_vertices is None else u_vertices].T.ravel()
        self.fields = fields
        self.record = BoundaryRecord(els, vertices, problem.volumes[els], joint, u_vertices=u_vertices)

    def __call__(self, event: str, hs, **info) -> None:
        if event not in ("start", "commit", "step", "increment"):  # e.g. "iteration": nothing to record
            return
        rec = self.record
        u = hs.u[self.dofs].copy()
        if event == "start":
            rec.add("start", u=u)
        elif event == "commit":
            rec.add("commit", dt=float(info["dt"]), T=hs.T[self.els].copy(), chem=hs.eps_chem[self.els].copy(), u=u)
        elif event == "step":
            step = info["step"]
            rec.add("step", name=step.name, births=tuple(step.births), u=u)
        elif event == "increment":
            row = {"step": info["step"].name, "t": float(info["t"])}
            if self.fields:
                sig = hs.snapshot().stress_qp
                inel = hs.inelastic_fields()
                row.update(u=u, sig=sig[self.els].copy(), W=inel["inelastic_work_J_m3"][self.els].copy(),
                           eq=inel["eq_inelastic_strain"][self.els].copy())
            rec.add("increment", **row)
