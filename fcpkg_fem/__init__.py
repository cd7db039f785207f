"""fcpkg-fem: thermo-mechanical finite elements for stacked flip-chip packages.

Internal units are SI (m, kg, s, Pa, W, J) with temperatures in degC; see docs/architecture.md.
"""

__version__ = "0.1.0"
