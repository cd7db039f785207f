"""Checkpoints of a process history: written after each completed step, read by ``--resume``.

``<out>/checkpoint/`` holds the solver state (``state.npz``), the fields of the report times so far
(``fields.npz``) and the recorded rows (``record.json``), each written atomically and ``record.json`` last (it
names the step completed). No pickle: a checkpoint folder from elsewhere cannot run code.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from fcpkg_fem.case import load_case
from fcpkg_fem.errors import InputError, Problem
from fcpkg_fem.io.atomic import atomic_path, atomic_write_text
from fcpkg_fem.post.result import FaceSample, FieldSet
from fcpkg_fem.run.record import Record, json_safe

CHECKPOINT_VERSION = 1


def _ckpt(out_dir) -> Path:
    return Path(out_dir) / "checkpoint"


def _savez(path: Path, arrays: dict) -> None:

    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)


def _write_state(out_dir, name: str, hs, T_nodes) -> Path:
    """The solver state (and nodal temperatures) as ``checkpoint/<name>``, atomically; returns the folder."""
    d = _ckpt(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    arrays = hs.state_arrays()
    if T_nodes is not None:
        arrays["thermal:T_nodes"] = np.asarray(T_nodes)
    _savez(d / name, arrays)
    return d


def save_checkpoint(out_dir, case, step_index: int, hs, rec: Record, T_nodes, t_now: float) -> None:
    """Write the state after step ``step_index`` (atomic files; record.json last marks it complete)."""

    d = _write_state(out_dir, "state.npz", hs, T_nodes)
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
    _savez(d / "fields.npz", fa)
    meta = {"version": CHECKPOINT_VERSION, "case_hash": case.hash(), "step_index": step_index, "time_s": t_now,
            "outputs": json_safe(rec.outputs), "history": json_safe(rec.history), "iterations": rec.iterations,
            "methods": sorted(rec.methods), "newton": rec.newton, "n_fields": len(rec.fields),
            "life": json_safe(rec.life), "events": json_safe(rec.events),
            "face_keys": [sorted(f) for f in rec.faces]}
    atomic_write_text(d / "record.json", json.dumps(meta) + "\n")


def save_failure(out_dir, hs, T_nodes, step_name: str, err: Exception) -> None:
    """``checkpoint/last_converged.npz`` (solver state of the last converged increment) and ``failure.json``."""

    d = _write_state(out_dir, "last_converged.npz", hs, T_nodes)
    atomic_write_text(d / "failure.json", json.dumps({"step": step_name, "time_s": hs.time, "error": str(err)},
                                                     indent=1) + "\n")


def load_checkpoint(out_dir, case, hs):
    """Restore a checkpoint into ``hs``; returns (step_index done, Record, T_nodes or None, time) or None."""
    d = _ckpt(out_dir)
    if not (d / "record.json").exists():
        return None
    try:
        meta = json.loads((d / "record.json").read_text())
    except (OSError, ValueError):
        return None
    if meta.get("version") != CHECKPOINT_VERSION:
        return None
    if meta.get("case_hash") != case.hash():
        raise InputError([Problem("--resume", f"the checkpoint in {d} belongs to another case (hash "
                                              f"{meta.get('case_hash')}, this case {case.hash()}); "
                                              "run without --resume or use that case")])
    with np.load(d / "state.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    T_nodes = arrays.pop("thermal:T_nodes", None)
    hs.restore(arrays)
    rec = Record(outputs=meta["outputs"], history=meta["history"], iterations=meta["iterations"],
                 methods=set(meta["methods"]), newton=meta["newton"], life=meta.get("life", {}),
                 events=meta.get("events", []))
    with np.load(d / "fields.npz", allow_pickle=False) as z:
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

    d = _ckpt(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    atomic_write_text(d / CASE_INPUT, json.dumps(case.input_dict(), indent=1) + "\n")


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
