"""The post-processor registry and what a post-processor sees (:class:`PostContext`).

Each post-processor is a function ``(ctx: PostContext) -> dict`` whose result is merged into one output time's
entry of ``summary.json`` (see docs/outputs.md). Register new ones with :func:`register_post`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from fcpkg_fem.physics.elasticity import von_mises

POST_PROCESSORS: dict[str, Callable[["PostContext"], dict]] = {}


def register_post(name: str):
    """Decorator: register a post-processor under ``name`` (later registrations replace earlier ones)."""

    def deco(fn):
        POST_PROCESSORS[name] = fn
        return fn

    return deco


@dataclass
class PostContext:
    """What a post-processor sees at one output time.

    Attributes:
        pmesh: the PackageMesh; problem: the MechanicalProblem; state: the MechanicalState at this time;
        vertex_u: (n_vertices, 3) vertex displacement in m; von_mises: (n_el,) element von Mises in Pa;
        centroids: (n_el, 3) element centroids in m; volumes: (n_el,) element volumes in m^3;
        mech_strain: (n_el, 6) element strain minus thermal strain.
        case: the validated case (for e.g. ball heights).
        moisture: the moisture state (:class:`fcpkg_fem.post.vapour.MoistureFields`) when the run models
            moisture, else None.
    """

    pmesh: Any
    problem: Any
    state: Any
    vertex_u: np.ndarray
    von_mises: np.ndarray
    centroids: np.ndarray
    volumes: np.ndarray
    mech_strain: np.ndarray
    case: Any = None
    moisture: Any = None

    @classmethod
    def of(cls, pmesh, problem, state, case=None, moisture=None) -> "PostContext":
        """The context of a solved state, with the derived fields every post-processor shares (``moisture``: the
        moisture state, when there is one)."""
        m = pmesh.mesh
        return cls(pmesh=pmesh, problem=problem, state=state, vertex_u=problem.vertex_displacement(state.u),
                   von_mises=von_mises(state.stress), centroids=m.p[:, m.t].mean(axis=1).T,
                   volumes=problem.volumes, mech_strain=state.strain - state.eth, case=case, moisture=moisture)


def run_post(ctx: PostContext, names: list[str] | None = None) -> dict:
    """Run the named post-processors (all registered by default) and merge their results."""
    out: dict = {}
    for name in names or list(POST_PROCESSORS):
        out.update(POST_PROCESSORS[name](ctx))
    return out


def mm(p) -> list[float]:
    """A point in m as a JSON list in mm (rounded to 0.1 nm)."""
    return [round(float(v) * 1e3, 7) for v in p]
