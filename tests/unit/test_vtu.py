"""The VTU writer (fcpkg_fem/io/vtu.py): exact round trip through meshio (and VTK where installed), the per-array
compression choice, and the mesh encoded once for every output."""

from __future__ import annotations

import base64
import zlib

import meshio
import numpy as np
import pytest

from fcpkg_fem.io import vtu


def _hex_grid(n: int = 6):
    """(points (m, 3) in m, hexahedra (n^3, 8) in VTK order) of a unit-cube grid of n^3 cells."""
    g = np.arange(n + 1)
    z, y, x = np.meshgrid(g, g, g, indexing="ij")
    pts = np.c_[x.ravel(), y.ravel(), z.ravel()] * 1e-4
    idx = np.arange((n + 1) ** 3).reshape(n + 1, n + 1, n + 1)  # [z, y, x]
    c = idx[:-1, :-1, :-1].ravel()
    dx, dy, dz = 1, n + 1, (n + 1) ** 2
    hexes = np.c_[c, c + dx, c + dx + dy, c + dy, c + dz, c + dz + dx, c + dz + dx + dy, c + dz + dy]
    return pts, hexes


def _blocks(text: str):
    """(header, decompressed bytes, compressed blocks) of one encoded array."""
    n = int(np.frombuffer(base64.b64decode(text[:12])[:8], "<u8")[0])
    hlen = 4 * -(-8 * (3 + n) // 3)  # base64 length of the (3 + n) UInt64 header
    header = np.frombuffer(base64.b64decode(text[:hlen]), "<u8")
    data = base64.b64decode(text[hlen:])
    out, pos, raw = [], 0, b""
    for size in header[3:]:
        out.append(data[pos:pos + int(size)])
        raw += zlib.decompress(out[-1])
        pos += int(size)
    assert pos == len(data)
    return header, raw, out


def test_round_trip_is_exact_through_meshio(tmp_path):
    pts, hexes = _hex_grid()
    rng = np.random.default_rng(3)
    region = (np.arange(len(hexes)) % 3).astype(np.int32)
    geometry = vtu.VtuGeometry.of(pts, hexes, {"region": region})
    point_data = {"displacement": rng.normal(size=(len(pts), 3)) * 1e-6, "temperature": np.full(len(pts), 25.0)}
    cell_data = {"stress_MPa": rng.normal(size=(len(hexes), 6)) * 100, "von_mises_MPa": rng.random(len(hexes))}
    path = vtu.write_vtu_file(tmp_path / "f.vtu", geometry, point_data, cell_data)
    m = meshio.read(path)
    # bit-equal: the writer stores the arrays' bytes, and zlib is lossless
    np.testing.assert_array_equal(m.points, pts)
    assert len(m.cells) == 1 and m.cells[0].type == "hexahedron"
    np.testing.assert_array_equal(m.cells[0].data, hexes)
    for name, a in point_data.items():
        np.testing.assert_array_equal(m.point_data[name], a)
    for name, a in {**cell_data, "region": region}.items():
        np.testing.assert_array_equal(m.cell_data[name][0], a)
    assert m.cell_data["region"][0].dtype == np.int32


def test_an_array_is_compressed_only_where_zlib_gains():
    # random doubles gain under 10 % (stored in level-0 blocks); a uniform field and the connectivity gain much
    rng = np.random.default_rng(0)
    noisy = rng.normal(size=50_000)
    header, raw, blocks = _blocks(vtu.encode_array(noisy))
    assert raw == noisy.tobytes()
    assert int(header[0]) == len(blocks) == -(-noisy.nbytes // vtu.BLOCK)
    assert int(header[2]) == noisy.nbytes - (len(blocks) - 1) * vtu.BLOCK
    assert sum(map(len, blocks)) > noisy.nbytes  # stored: only the zlib framing is added
    uniform = np.full(50_000, 25.0)
    _, raw, blocks = _blocks(vtu.encode_array(uniform))
    assert raw == uniform.tobytes() and sum(map(len, blocks)) < 0.01 * uniform.nbytes


def test_an_empty_array_has_no_blocks():
    header, raw, blocks = _blocks(vtu.encode_array(np.zeros(0)))
    assert list(header) == [0, vtu.BLOCK, 0] and raw == b"" and blocks == []


def test_the_mesh_is_encoded_once_and_every_output_repeats_it(tmp_path):
    pts, hexes = _hex_grid(4)
    geometry = vtu.VtuGeometry.of(pts, hexes)
    a = vtu.write_vtu_file(tmp_path / "a.vtu", geometry, {"u": np.ones(len(pts))}).read_text()
    b = vtu.write_vtu_file(tmp_path / "b.vtu", geometry, {"u": np.zeros(len(pts))}).read_text()
    assert geometry.points in a and geometry.points in b and geometry.cells in a and geometry.cells in b
    assert a != b


def test_vtk_reads_it(tmp_path):
    vtk = pytest.importorskip("vtk", reason="VTK's own reader (pip install vtk) is not installed")
    from vtk.util.numpy_support import vtk_to_numpy

    pts, hexes = _hex_grid(3)
    s = np.random.default_rng(1).normal(size=(len(hexes), 6))
    path = vtu.write_vtu_file(tmp_path / "f.vtu", vtu.VtuGeometry.of(pts, hexes), cell_data={"stress_MPa": s})
    r = vtk.vtkXMLUnstructuredGridReader()
    r.SetFileName(str(path))
    r.Update()
    g = r.GetOutput()
    assert g.GetNumberOfCells() == len(hexes) and g.GetCellType(0) == vtu.VTK_HEXAHEDRON
    np.testing.assert_array_equal(vtk_to_numpy(g.GetPoints().GetData()), pts)
    np.testing.assert_array_equal(vtk_to_numpy(g.GetCellData().GetArray("stress_MPa")), s)
