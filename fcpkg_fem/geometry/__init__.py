"""Geometry: plain data built from a validated case (no gmsh here).

``layout`` places bump, via, trace and ball arrays; ``names`` builds every region name; ``model`` holds the
prisms the mesher sweeps.
"""
