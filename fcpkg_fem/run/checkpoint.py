"""Checkpoints of a process history: one folder per completed step, made whole and then renamed into place.

Layout of ``<out>/checkpoint/``:

* ``step-<k>/`` (k: index of the completed step, 4 digits): ``state.npz`` (solver state, nodal temperatures and,
  when the history models moisture, the wetness: ``moisture:*`` arrays),
  ``fields.npz`` (the fields of every report time so far) and ``record.json`` (the recorded rows, the step index,
  the case hash and the SHA-256 of both arrays files). The folder is written as ``.step-<k>.tmp-<pid>-<random>``,
  every file fsync'd, and renamed to ``step-<k>`` only when complete: a reader (or a resume after ``kill -9``, a
  full disk or a power cut at any moment) sees the previous complete step or the new one, never a mixture. The
  previous step's folder is removed after the rename.
* ``case.input.json``: the case as read, so that ``fcpkg run --resume DIR`` needs nothing else.
* ``mesh/``: the footprint mesh the run was swept from (a footprint cache, :mod:`fcpkg_fem.run.meshing`), so that
  the resume builds the same mesh even where gmsh would not repeat it (docs/robustness.md); record.json holds the
  SHA-256 of the mesh itself, and a resume on any other mesh is refused.
* ``boundary/step-<k>.npz`` (a case with submodels): the events the submodels' boundary record (a
  :class:`~fcpkg_fem.solve.submodel.BoundaryRecord`) gained in step k, written before step k's folder is renamed
  into place; that folder's record.json lists the SHA-256 of every part up to k, so a resume rebuilds the record
  of the steps done from exactly these files (one write per event, not the whole record per step).
* ``last_converged.npz``, ``failure.json``: the last converged state of a run that failed (diagnosis only).

A resume takes the highest complete ``step-<k>``; a folder whose parts do not belong together (a digest, the step
index, the mesh or the format version does not match) is refused with exit code 2, never computed from. No pickle: a
checkpoint folder from elsewhere cannot run code.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
from pathlib import Path

import numpy as np

from fcpkg_fem.case import load_case
from fcpkg_fem.errors import InputError, Problem
from fcpkg_fem.io.atomic import atomic_path, atomic_write_text, fsync_dir
from fcpkg_fem.post.result import FaceSample, FieldSet
from fcpkg_fem.run.meshing import footprint_file, keep_only_footprint
from fcpkg_fem.run.record import Record, json_safe

CHECKPOINT_VERSION = 3  # 3: record.json holds the mesh's SHA-256
PARTS = ("state.npz", "fields.npz")
_STEP_RE = re.compile(r"^step-(\d{4,})$")
_TMP_RE = re.compile(r"^\.step-\d{4,}\.tmp-(\d+)-[0-9a-f]{8}$")


def _ckpt(out_dir) -> Path:
    return Path(out_dir) / "checkpoint"


def checkpoint_mesh_dir(out_dir) -> Path:
    """The footprint cache of a process history's run folder ``out_dir`` (see the module docstring)."""
    return _ckpt(out_dir) / "mesh"


def _write_npz(path: Path, arrays: dict) -> str:
    """Write ``arrays`` to ``path`` (fsync'd); returns the file's SHA-256 (hex)."""
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
        fh.flush()
        os.fsync(fh.fileno())
    return _digest(path)


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def mesh_digest(pmesh) -> str:
    """SHA-256 (hex) of a mesh: node coordinates, connectivity and region of every element, in their order. A
    checkpoint's state belongs to exactly this mesh: same node count is not enough (a footprint gmsh does not
    repeat can have the same counts and other points)."""
    m = pmesh.mesh
    h = hashlib.sha256()
    for a in (np.asarray(m.p, dtype="<f8"), np.asarray(m.t, dtype="<i8"), np.asarray(pmesh.cell_region, dtype="<i8")):
        h.update(str(a.shape).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def _state_arrays(hs, T_nodes, extra: dict | None = None) -> dict:
    """The solver's state arrays, the nodal temperatures (``thermal:T_nodes``) and ``extra`` (named arrays of the
    other fields a history carries, e.g. the moisture field's ``moisture:*``, :mod:`fcpkg_fem.run.moisture`)."""
    arrays = hs.state_arrays()
    if T_nodes is not None:
        arrays["thermal:T_nodes"] = np.asarray(T_nodes)
    arrays.update(extra or {})
    return arrays


def _field_arrays(rec: Record) -> dict:
    fa = {}
    for k, fs in enumerate(rec.fields):
        for name, v in fs.point_data.items():
            fa[f"{k}:point:{name}"] = v
        for name, v in fs.cell_data.items():
            fa[f"{k}:cell:{name}"] = v
    for k, faces in enumerate(rec.faces):
        for key, s in faces.items():
            for attr in ("x", "y", "w", "w_detrended"):
                fa[f"{k}:face:{key}:{attr}"] = getattr(s, attr)
    return fa


def step_folders(out_dir) -> list[tuple[int, Path]]:
    """(step index, folder) of every complete step folder of the run folder ``out_dir``, ascending."""
    d = _ckpt(out_dir)
    if not d.is_dir():
        return []
    found = [(int(m[1]), e) for e in d.iterdir() if (m := _STEP_RE.match(e.name)) and e.is_dir()]
    return sorted(found)


def _remove_stale(d: Path, keep: Path | None) -> None:
    """Remove step folders other than ``keep`` and temporary folders whose writer is gone."""
    for e in list(d.iterdir()) if d.is_dir() else ():
        m = _TMP_RE.match(e.name)
        stale_tmp = m is not None and (int(m[1]) == os.getpid() or not _alive(int(m[1])))
        if stale_tmp or (_STEP_RE.match(e.name) and e != keep):
            shutil.rmtree(e, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def save_checkpoint(out_dir, case, step_index: int, hs, rec: Record, T_nodes, t_now: float,
                    extra: dict | None = None, boundary=None, mesh: str = "") -> Path:
    """Write the checkpoint after step ``step_index`` as one folder, renamed into place when complete; returns it.
    ``mesh``: the :func:`mesh_digest` of the run's mesh.
    ``extra``: further named arrays of the state (``moisture:*``), written into state.npz beside the solver's.
    ``boundary``: the submodels' BoundaryRecord; its events since the last checkpoint go to ``boundary/`` and
    ``boundary.saved`` (a list, [step, SHA-256, events so far] per part) grows by this part."""
    d = _ckpt(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    parts = _save_boundary(d, step_index, boundary) if boundary is not None else None
    final = d / f"step-{step_index:04d}"
    tmp = d / f".{final.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    tmp.mkdir()
    try:
        digests = {"state.npz": _write_npz(tmp / "state.npz", _state_arrays(hs, T_nodes, extra)),
                   "fields.npz": _write_npz(tmp / "fields.npz", _field_arrays(rec))}
        meta = {"version": CHECKPOINT_VERSION, "case_hash": case.hash(), "step_index": step_index, "time_s": t_now,
                "parts": digests, "mesh_sha256": mesh,
                "outputs": json_safe(rec.outputs), "history": json_safe(rec.history), "iterations": rec.iterations,
                "methods": sorted(rec.methods), "newton": rec.newton, "n_fields": len(rec.fields),
                "life": json_safe(rec.life), "events": json_safe(rec.events), "vapour": json_safe(rec.vapour),
                "face_keys": [sorted(f) for f in rec.faces]}
        if parts is not None:
            meta["boundary"] = parts
        atomic_write_text(tmp / "record.json", json.dumps(meta) + "\n")
        fsync_dir(tmp)
        if final.exists():  # a folder of the same step from an earlier, interrupted attempt of this run
            shutil.rmtree(final)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    fsync_dir(d)
    _remove_stale(d, keep=final)
    return final


def _save_boundary(d: Path, step_index: int, boundary) -> list:
    """Write the events ``boundary`` gained since its last saved part as ``boundary/step-<k>.npz``; returns the
    parts up to this one ([step, SHA-256, events so far] each)."""
    saved = boundary.saved
    saved[:] = [p for p in saved if p[0] < step_index]  # a step repeated after a resume replaces its part
    start = saved[-1][2] if saved else 0
    bd = d / "boundary"
    bd.mkdir(exist_ok=True)
    path = bd / f"step-{step_index:04d}.npz"
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            boundary.part(start).save(fh)
    saved.append([step_index, _digest(path), len(boundary.kinds)])
    return [list(p) for p in saved]


def _load_boundary(d: Path, folder: Path, meta: dict, boundary) -> None:
    """Rebuild ``boundary`` (empty, of the run's boxes) from the parts ``meta`` lists, each checked by its digest."""
    parts = meta.get("boundary")
    if parts is None:
        raise _refuse(folder, "it holds no boundary record for the submodels (written without a submodel section)")
    for step, digest, count in parts:
        path = d / "boundary" / f"step-{int(step):04d}.npz"
        if not path.is_file() or _digest(path) != digest:
            raise _refuse(folder, f"the submodels' boundary record of step {step} is "
                                  f"{'missing' if not path.is_file() else 'not the file its record was written with'}")
        try:
            boundary.extend(type(boundary).load(path))
        except ValueError as exc:
            raise _refuse(folder, f"the submodels' boundary record does not fit this run's boxes ({exc})") from None
        if len(boundary.kinds) != count:
            raise _refuse(folder, f"the submodels' boundary record of step {step} has another number of events")
    boundary.saved = [list(p) for p in parts]


def save_failure(out_dir, hs, T_nodes, step_name: str, err: Exception, extra: dict | None = None) -> None:
    """``checkpoint/last_converged.npz`` (solver state of the last converged increment, with ``extra`` arrays) and
    ``failure.json``."""
    d = _ckpt(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    with atomic_path(d / "last_converged.npz") as tmp:
        _write_npz(tmp, _state_arrays(hs, T_nodes, extra))
    atomic_write_text(d / "failure.json", json.dumps({"step": step_name, "time_s": hs.time, "error": str(err)},
                                                     indent=1) + "\n")


def _refuse(folder: Path, why: str) -> InputError:
    return InputError([Problem("--resume", f"the checkpoint {folder} cannot be resumed: {why}; run the case again "
                                           "without --resume (into a new folder, or after removing this one)")])


def _read_meta(folder: Path, case, mesh: str) -> dict:
    """The record of a step folder, checked: format version, case, step index, mesh (its :func:`mesh_digest`)
    and the digest of every part."""
    try:
        meta = json.loads((folder / "record.json").read_text())
    except (OSError, ValueError) as exc:
        raise _refuse(folder, f"its record.json is unreadable ({exc})") from None
    if not isinstance(meta, dict) or meta.get("version") != CHECKPOINT_VERSION:
        raise _refuse(folder, f"it was written in checkpoint format {meta.get('version') if isinstance(meta, dict) else '?'}"
                              f", this version reads format {CHECKPOINT_VERSION}")
    if meta.get("case_hash") != case.hash():
        raise InputError([Problem("--resume", f"the checkpoint in {folder} belongs to another case (hash "
                                              f"{meta.get('case_hash')}, this case {case.hash()}); "
                                              "run without --resume or use that case")])
    if meta.get("mesh_sha256") != mesh:
        raise _refuse(folder, "this case now meshes differently from the mesh the checkpoint was computed on "
                              f"(SHA-256 {str(meta.get('mesh_sha256'))[:12]}..., now {mesh[:12]}...: its footprint "
                              f"cache {folder.parent / 'mesh'} was removed, or gmsh did not repeat the footprint, "
                              "docs/robustness.md)")
    m = _STEP_RE.match(folder.name)
    if m is None or meta.get("step_index") != int(m[1]):
        raise _refuse(folder, f"its record names step {meta.get('step_index')}, the folder another")
    parts = meta.get("parts") or {}
    for name in PARTS:
        p = folder / name
        if not p.is_file():
            raise _refuse(folder, f"{name} is missing")
        if parts.get(name) != _digest(p):
            raise _refuse(folder, f"{name} is not the file its record was written with (SHA-256 differs)")
    return meta


def load_checkpoint(out_dir, case, hs, extra: dict | None = None, boundary=None, mesh: str = ""):
    """Restore the latest complete checkpoint into ``hs``; returns (step_index done, Record, T_nodes or None, time),
    or None when the run folder has no checkpoint. ``extra``: a dict that receives the state's other named arrays
    (``moisture:*``, written by :func:`save_checkpoint`'s ``extra``). ``boundary``: the submodels' (empty)
    BoundaryRecord, which receives the events of the completed steps. ``mesh``: the :func:`mesh_digest` of the
    mesh the run resumes on.

    Raises:
        InputError: the checkpoint belongs to another case or another mesh, or its parts do not belong together.
    """
    d = _ckpt(out_dir)
    folders = step_folders(out_dir)
    if not folders:
        if (d / "record.json").exists():  # the single-folder format 1
            raise _refuse(d, "it was written by an earlier version of fcpkg-fem (checkpoint format 1)")
        return None
    _, folder = folders[-1]
    meta = _read_meta(folder, case, mesh)
    if boundary is not None:
        _load_boundary(d, folder, meta, boundary)
    with np.load(folder / "state.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    T_nodes = arrays.pop("thermal:T_nodes", None)
    other = {k: arrays.pop(k) for k in [k for k in arrays if k.startswith("moisture:")]}
    if extra is not None:
        extra.update(other)
    hs.restore(arrays)
    rec = Record(outputs=meta["outputs"], history=meta["history"], iterations=meta["iterations"],
                 methods=set(meta["methods"]), newton=meta["newton"], life=meta.get("life", {}),
                 events=meta.get("events", []), vapour=meta.get("vapour", []))
    with np.load(folder / "fields.npz", allow_pickle=False) as z:
        for k in range(meta["n_fields"]):
            fs = FieldSet()
            for name in z.files:
                i, kind, rest = name.split(":", 2)
                if int(i) != k:
                    continue
                if kind == "point":
                    fs.point_data[rest] = z[name]
                elif kind == "cell":
                    fs.cell_data[rest] = z[name]
            rec.fields.append(fs)
            faces = {}
            for key in meta["face_keys"][k]:
                faces[key] = FaceSample(*(z[f"{k}:face:{key}:{a}"] for a in ("x", "y", "w", "w_detrended")))
            rec.faces.append(faces)
    return int(meta["step_index"]), rec, T_nodes, float(meta["time_s"])


CASE_INPUT = "case.input.json"  # in the checkpoint folder: the case as read, to resume it from the folder alone


def write_case_input(case, out_dir) -> None:
    """Start a fresh history in ``out_dir``: the case as read into ``checkpoint/``, and the step folders of an
    earlier run there removed (a later resume must never mix two runs), with the footprints of other cases."""
    d = _ckpt(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    atomic_write_text(d / CASE_INPUT, json.dumps(case.input_dict(), indent=1) + "\n")
    for name in ("record.json", "state.npz", "fields.npz"):  # format 1, at the top of checkpoint/
        with contextlib.suppress(FileNotFoundError):
            (d / name).unlink()
    shutil.rmtree(d / "boundary", ignore_errors=True)
    _remove_stale(d, keep=None)
    keep_only_footprint(checkpoint_mesh_dir(out_dir), footprint_file(case))  # earlier cases' footprints go too


def resume_case(out_dir):
    """The case a run folder's checkpoint belongs to (for ``fcpkg run --resume DIR``).

    Raises:
        InputError: the folder has no checkpoint of a process history.
    """

    p = _ckpt(out_dir) / CASE_INPUT
    if not p.exists():
        raise InputError([Problem("--resume", f"{out_dir} holds no checkpoint of a process history "
                                              f"({p} is missing); run the case without --resume")])
    try:
        raw = json.loads(p.read_text())
    except (OSError, ValueError) as exc:
        raise InputError([Problem("--resume", f"cannot read {p}: {exc}")]) from None
    return load_case(raw)
