"""Load histories: piecewise-linear temperature profiles, JEDEC reflow and temperature cycling, increments.

Pure numpy, no mesh. :data:`PROFILES` maps a profile name (``hold``, ``ramp``, ``table``, ``reflow``,
``thermal_cycle``, ``msl_soak``) to its builder; :func:`build` builds one by name from keyword arguments (s, degC,
K/s); :func:`increments` gives the time points the solver steps through. See docs/loads.md; the J-STD-020 Table 5-1
soaks (``msl_soak``, :mod:`fcpkg_fem.loads.msl`) are in docs/moisture.md.
"""

from .profiles import (PROFILES, Profile, Violation, band_intervals, build, concatenate, hold, increments, ramp,
                       register, table, time_in_band)
from .jedec import (CYCLE_CONDITIONS, CYCLES_PER_HOUR_RANGE, CYCLING_STANDARD, IPC9701_MAX_RAMP_K_PER_S,
                    REFLOW_LIMITS, REFLOW_STANDARD, SOAK_MODES_S, ReflowLimits, check_reflow, check_thermal_cycle,
                    classification_temperature, measure_reflow, measure_thermal_cycle, reflow_profile,
                    thermal_cycle)
from . import msl
from .msl import MSL_LEVELS, MSL_STANDARD, MslLevel, msl_soak

__all__ = [
    "PROFILES", "Profile", "Violation", "band_intervals", "build", "concatenate", "hold", "increments", "ramp",
    "register", "table", "time_in_band",
    "CYCLE_CONDITIONS", "CYCLES_PER_HOUR_RANGE", "CYCLING_STANDARD", "IPC9701_MAX_RAMP_K_PER_S", "REFLOW_LIMITS",
    "REFLOW_STANDARD", "SOAK_MODES_S", "ReflowLimits", "check_reflow", "check_thermal_cycle",
    "classification_temperature", "measure_reflow", "measure_thermal_cycle", "reflow_profile", "thermal_cycle",
    "msl", "MSL_LEVELS", "MSL_STANDARD", "MslLevel", "msl_soak",
]
