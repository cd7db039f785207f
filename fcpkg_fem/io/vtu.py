"""VTK XML unstructured-grid files (``.vtu``) of hexahedra, written directly.

The format is VTK's XML ``UnstructuredGrid`` with inline ``binary`` data arrays compressed by zlib (``compressor=
"vtkZLibDataCompressor"``, ``header_type="UInt64"``): each array is cut into blocks of :data:`BLOCK` bytes, each
block compressed on its own, and the header (block count, block size, last block size, compressed sizes) and the
blocks are base64-encoded one after the other (VTK's file-formats document, "Binary data" in XML files). ParaView,
VTK and meshio read it.

Why not meshio's writer: it compresses every array at zlib's default level, the mesh again for every output of a
run, and builds an XML tree of the whole file. Here the mesh's arrays are encoded once per run
(:class:`VtuGeometry`) and reused by every output, and an array whose first block zlib level 1 shrinks by less
than :data:`MIN_GAIN` (the float fields: stresses and strains shrink by 3-6 %) is stored in uncompressed zlib
blocks (level 0): on the reference case (82,394 hexahedra, four outputs) that takes the VTU files from about 3 s to
a few tenths (docs/benchmarks.md). The choice depends on the data alone, so the same run writes the same bytes.
"""

from __future__ import annotations

import base64
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable
from xml.sax.saxutils import quoteattr

import numpy as np

from fcpkg_fem.io.atomic import atomic_path

#: Uncompressed bytes per zlib block (meshio's and VTK's writers use the same).
BLOCK = 32768
#: An array is compressed (zlib level 1) when that shrinks its first block by at least this fraction, else stored.
MIN_GAIN = 0.10
VTK_HEXAHEDRON = 12
_VTK_TYPE = {np.dtype(np.float64): "Float64", np.dtype(np.float32): "Float32", np.dtype(np.int64): "Int64",
             np.dtype(np.int32): "Int32", np.dtype(np.uint8): "UInt8"}


def _level(raw: bytes) -> int:
    head = raw[:BLOCK]
    return 1 if head and len(zlib.compress(head, 1)) <= (1.0 - MIN_GAIN) * len(head) else 0


def encode_array(data: np.ndarray) -> str:
    """The base64 text of ``data`` (any shape, C order, little-endian) as a zlib-compressed VTU binary array."""
    raw = np.ascontiguousarray(data).astype(data.dtype.newbyteorder("<"), copy=False).tobytes()
    level = _level(raw)
    blocks = [zlib.compress(raw[i:i + BLOCK], level) for i in range(0, len(raw), BLOCK)]
    last = len(raw) - (len(blocks) - 1) * BLOCK if blocks else 0
    header = np.array([len(blocks), BLOCK, last, *map(len, blocks)], dtype="<u8")
    return base64.b64encode(header.tobytes()).decode() + base64.b64encode(b"".join(blocks)).decode()


def data_array(name: str, data: np.ndarray) -> str:
    """One ``<DataArray>`` element: ``data`` (n,) or (n, components) of a type in :data:`_VTK_TYPE`."""
    data = np.asarray(data)
    if data.dtype not in _VTK_TYPE:
        data = data.astype(np.float64 if data.dtype.kind == "f" else np.int64)
    comps = f' NumberOfComponents="{data.shape[1]}"' if data.ndim == 2 else ""
    return (f'<DataArray type="{_VTK_TYPE[data.dtype]}" Name={quoteattr(name)}{comps} format="binary">'
            f"{encode_array(data)}</DataArray>\n")


@dataclass(frozen=True)
class VtuGeometry:
    """The mesh part of a VTU file, encoded once and shared by every output written on the mesh.

    Built by :meth:`of` from points (n_points, 3) in the file's length unit, hexahedra (n_cells, 8) in VTK's
    vertex order and the cell arrays every output carries (e.g. ``region``).
    """

    n_points: int
    n_cells: int
    points: str
    cells: str
    cell_arrays: str

    @classmethod
    def of(cls, points: np.ndarray, hexahedra: np.ndarray, cell_arrays: dict[str, np.ndarray] | None = None):
        hexahedra = np.asarray(hexahedra, dtype=np.int64)
        n = len(hexahedra)
        cells = (data_array("connectivity", hexahedra.ravel())
                 + data_array("offsets", np.arange(8, 8 * n + 1, 8, dtype=np.int64))
                 + data_array("types", np.full(n, VTK_HEXAHEDRON, dtype=np.uint8)))
        extra = "".join(data_array(k, v) for k, v in (cell_arrays or {}).items())
        return cls(len(points), n, data_array("Points", np.asarray(points, dtype=np.float64)), cells, extra)


def vtu_pieces(geometry: VtuGeometry, point_data: dict[str, np.ndarray],
               cell_data: dict[str, np.ndarray]) -> Iterable[str]:
    """The file's text, piece by piece (each array is encoded as it is reached: one array in memory at a time)."""
    yield ('<?xml version="1.0"?>\n<VTKFile type="UnstructuredGrid" version="0.1" byte_order="LittleEndian" '
           'header_type="UInt64" compressor="vtkZLibDataCompressor">\n<UnstructuredGrid>\n'
           f'<Piece NumberOfPoints="{geometry.n_points}" NumberOfCells="{geometry.n_cells}">\n')
    yield "<Points>\n" + geometry.points + "</Points>\n<Cells>\n" + geometry.cells + "</Cells>\n"
    yield "<PointData>\n"
    for name, a in point_data.items():
        yield data_array(name, a)
    yield "</PointData>\n<CellData>\n"
    for name, a in cell_data.items():
        yield data_array(name, a)
    yield geometry.cell_arrays + "</CellData>\n</Piece>\n</UnstructuredGrid>\n</VTKFile>\n"


def write_vtu_file(path: Path, geometry: VtuGeometry, point_data: dict[str, np.ndarray] | None = None,
                   cell_data: dict[str, np.ndarray] | None = None) -> Path:
    """Write one ``.vtu`` file atomically (:func:`~fcpkg_fem.io.atomic.atomic_path`); returns ``path``."""
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="ascii") as f:
        for piece in vtu_pieces(geometry, point_data or {}, cell_data or {}):
            f.write(piece)
    return path
