"""The submodels' boundary record in parts, as a run's checkpoints keep it (fcpkg_fem.solve.submodel.BoundaryRecord).

A resume rebuilds the record from the parts its checkpoints saved (``part`` -> ``save`` -> ``load`` -> ``extend``):
the rebuilt record must hold exactly the recorded numbers, and a part that does not belong to the run's boxes, such
as one written before the record kept only the cut faces' vertices, must be refused before anything is solved.
"""

import numpy as np
import pytest

from fcpkg_fem.solve.submodel import BoundaryRecord

ELEMENTS = np.array([3, 4, 9])
VERTICES = np.array([0, 1, 2, 5, 7, 8])
CUT = np.array([1, 5, 8])


def _record(u_vertices=CUT) -> BoundaryRecord:
    """A record of two steps with arrays of the documented shapes; displacements over ``u_vertices``."""
    rec = BoundaryRecord(ELEMENTS, VERTICES, np.array([1e-12, 2e-12, 3e-12]), ("bumps.die1", 5),
                         u_vertices=u_vertices)
    n_u = len(rec.uv)
    rng = np.random.default_rng(7)
    for s, name in enumerate(("join_cool", "cycling")):
        rec.add("step", name=name, births=np.array([], dtype=str), u=rng.normal(size=3 * n_u))
        for i in range(2):
            rec.add("commit", dt=10.0 * (i + 1), T=rng.normal(300, 5, 3), chem=np.zeros(3), u=rng.normal(size=3 * n_u))
            rec.add("increment", step=name, t=10.0 * (i + 1))
    return rec


def _same(a: BoundaryRecord, b: BoundaryRecord) -> None:
    assert a.kinds == b.kinds and a.index == b.index
    for (ka, va), (kb, vb) in zip(a.events(), b.events()):
        assert ka == kb and va.keys() == vb.keys()
        for key in va:
            np.testing.assert_array_equal(np.asarray(vb[key]), np.asarray(va[key]))  # exact: the saved numbers


def test_parts_saved_and_extended_rebuild_the_record_exactly(tmp_path):
    """A run records into ``live`` and checkpoints after each step the events since the last part; a resume
    extends an empty record of the same boxes by the parts read back."""
    full = _record()
    split = full.kinds.index("step", 1)  # the second step's first event: the first checkpoint comes before it
    live = BoundaryRecord(ELEMENTS, VERTICES, full.volumes, full.joint, u_vertices=CUT)
    paths = []
    for n, (kind, values) in enumerate(full.events(), start=1):
        live.add(kind, **values)
        if n in (split, len(full.kinds)):
            paths.append(tmp_path / f"step-{len(paths):04d}.npz")
            live.part(0 if len(paths) == 1 else split).save(paths[-1])
    rebuilt = BoundaryRecord(ELEMENTS, VERTICES, full.volumes, full.joint, u_vertices=CUT)
    for path in paths:
        rebuilt.extend(BoundaryRecord.load(path))
    _same(full, rebuilt)
    np.testing.assert_array_equal(BoundaryRecord.load(paths[-1]).u_vertices, CUT)


def test_a_part_of_every_box_vertex_is_refused_as_an_older_fcpkg_wrote_it(tmp_path):
    """Before the record kept only the cut faces' vertices, a part held every box vertex (no ``u_vertices``)."""
    old = _record(u_vertices=None)
    old.save(tmp_path / "old.npz")
    now = BoundaryRecord(ELEMENTS, VERTICES, old.volumes, old.joint, u_vertices=CUT)
    with pytest.raises(ValueError, match="every vertex of the boxes, as versions of fcpkg before"):
        now.extend(BoundaryRecord.load(tmp_path / "old.npz"))
    assert now.kinds == []  # nothing appended


@pytest.mark.parametrize("other, why", [
    (dict(box_elements=np.array([3, 4, 10])), "of another box"),
    (dict(box_vertices=np.array([0, 1, 2, 5, 7, 9])), "of another box"),
    (dict(u_vertices=np.array([1, 5, 7])), "other cut-face vertices"),
])
def test_a_part_of_other_boxes_or_vertices_is_refused(other, why):
    kw = dict(box_elements=ELEMENTS, box_vertices=VERTICES, u_vertices=CUT) | other
    part = BoundaryRecord(kw["box_elements"], kw["box_vertices"], np.ones(3), ("bumps.die1", 5),
                          u_vertices=kw["u_vertices"])
    now = BoundaryRecord(ELEMENTS, VERTICES, np.ones(3), ("bumps.die1", 5), u_vertices=CUT)
    with pytest.raises(ValueError, match=why):
        now.extend(part)
