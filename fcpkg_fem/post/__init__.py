"""Post-processors, registered by name (:mod:`~fcpkg_fem.post.registry`): warpage, region stresses and
interface tractions, per-item strains, vapour pressure at the interfaces that can delaminate
(:mod:`~fcpkg_fem.post.vapour`, when the run models moisture); per-joint averages and fatigue life of a process history
(:mod:`~fcpkg_fem.post.joints`, :mod:`~fcpkg_fem.post.life`); the run's result record (:mod:`~fcpkg_fem.post.result`).
"""

from fcpkg_fem.post.registry import POST_PROCESSORS, PostContext, mm, register_post, run_post
from fcpkg_fem.post import items, stress, vapour, warpage  # noqa: E402,F401  (registration)

__all__ = ["POST_PROCESSORS", "PostContext", "mm", "register_post", "run_post"]
