"""Material sources (issue 20 item 5; docs/materials.md, "Built-in materials").

Every value of the library either names the document that states it (where it was read, its year or "undated",
its title or data sheet) or says "assumed" and why; no source points outside the project; docs/materials.md shows
each source as the library holds it and lists the assumed values; ``fcpkg check`` lists the assumed values a case
uses, and only those.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fcpkg_fem.case import load_case
from fcpkg_fem.case.assumed import assumed_values, used_properties
from fcpkg_fem.materials import builtin_names, get
from fcpkg_fem.materials.provenance import PROPERTIES, assumed_sources, is_assumed

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "materials.md").read_text()
REFERENCE = ROOT / "cases" / "reference.yaml"

YEAR = re.compile(r"\b(19|20)\d\d\b|undated")
TITLE = re.compile(r"'[^']{6,}'|data sheet")
#: what would point at a file instead of a publication (a relative path out of a folder, an absolute local path, a
#: markdown file: the project's own notes are no source), at an internal brief, or at a value nobody checked
FORBIDDEN = re.compile(r"\.\./|(^|\s)/(work|tmp|home|root)/|\b[\w-]+\.md\b|\bbrief\b|unverified", re.IGNORECASE)


def _all_sources():
    for name in builtin_names():
        for prop, text in get(name).sources.items():
            yield name, prop, text


def _section(name: str) -> str:
    start = DOC.index(f"### `{name}`")
    end = DOC.find("\n### ", start + 1)
    return DOC[start:end if end >= 0 else None]


def test_every_library_value_has_a_source():
    """Each property a library material carries (and each model parameter block) has a non-empty source."""
    for name in builtin_names():
        m = get(name)
        for prop in PROPERTIES:
            carried = (prop in ("E", "nu", "cte") or (prop in ("k", "rho", "cp") and m.has_thermal)
                       or (prop in ("Tg", "solidus") and getattr(m, prop) is not None)
                       or (prop not in ("Tg", "solidus", "k", "rho", "cp") and m.extra.get(prop) is not None))
            if carried:
                assert m.sources.get(prop, "").strip(), f"{name}.{prop}: no source"
        for block, prm in m.extra.items():
            if block == "solder_family":  # the alloy's family (SnPb, SnAgCu): its name, not a measured value
                continue
            assert m.sources[block] == prm.source, f"{name}.{block}: the parameters' own source differs"


@pytest.mark.parametrize("name, prop, text", list(_all_sources()))
def test_a_source_is_a_read_document_or_says_assumed_and_why(name, prop, text):
    """docs/materials.md: a cited source says where it was read, its year (or 'undated') and its title or data
    sheet; an assumed one gives its reason (more than the word)."""
    if is_assumed(text):
        reason = text.lower().split("assumed", 1)[1]
        assert len(reason.strip(" :,()")) > 20, f"{name}.{prop}: 'assumed' without a reason: {text!r}"
    else:
        assert "read at" in text, f"{name}.{prop}: does not say where it was read: {text!r}"
        assert YEAR.search(text), f"{name}.{prop}: no year (or 'undated'): {text!r}"
        assert TITLE.search(text), f"{name}.{prop}: no quoted title or data sheet: {text!r}"


def test_no_source_points_outside_the_project():
    """Issue 20: sources pointed to a design brief that is not part of the project; none may, nor to a file."""
    texts = [t for _, _, t in _all_sources()] + [DOC[DOC.index("## Built-in materials"):]]
    for text in texts:
        hit = FORBIDDEN.search(text)
        assert hit is None, f"{hit.group(0)!r} in {text[max(hit.start() - 60, 0):hit.end() + 60]!r}"
    assert FORBIDDEN.search("see ../notes/x.md") and FORBIDDEN.search("the design brief")  # the check can fail


def test_is_assumed_reads_the_marker():
    assert is_assumed("assumed: 0.35, typical of filled epoxies")
    assert is_assumed("in-plane 20 ppm/K: DuPont ...; through-thickness 80 ppm/K: assumed, no value read")
    assert is_assumed("case file override (no source given)") and is_assumed("") and is_assumed(None)
    assert not is_assumed(get("copper").sources["E"])  # Sood et al. 2018, Table VI


def test_library_values_match_what_their_sources_state():
    """The numbers the sources quote (docs/materials.md, "What was read") are the numbers the library holds."""
    si = get("silicon")
    C11, C12 = 165.64e9, 63.94e9  # Virginia Semiconductor note, section B
    assert si.elastic.E(25.0) == pytest.approx((C11 - C12) * (C11 + 2 * C12) / (C11 + C12), rel=1e-12)
    assert si.elastic.nu(25.0) == pytest.approx(C12 / (C11 + C12), rel=1e-12)
    assert 2.54e-6 < si.cte.x(25.0) < 2.64e-6  # the note's recommended 2.59 +/- 0.05 ppm/K at 25 C
    assert (si.k[0](25.0), si.rho(25.0), si.cp(25.0)) == (150.0, 2330.0, 695.0)  # Sci. Rep. 2024 Table 1
    cu = get("copper")  # Sood et al. Table VI, electroplated copper
    assert cu.elastic.E(25.0) == pytest.approx(18850 * 6894757.293168361, rel=1e-12)
    assert (cu.elastic.nu(25.0), cu.cte.x(25.0), cu.k[0](25.0), cu.cp(25.0)) == (0.34, 17.7e-6, 401, 385)
    assert cu.rho(25.0) == pytest.approx(0.32 * 0.45359237 / 0.0254**3, rel=1e-12)  # 0.32 lb/in^3
    bt = get("bt_laminate")  # HW20-M1: LW modulus 23 GPa, Tg 210 C, X/Y 13-15 / 6-8, Z 40 / 220 ppm/C, k 0.6
    assert bt.elastic.E1(25.0) == 23e9 and bt.Tg == 210.0 and bt.k[0](25.0) == 0.6
    assert 13e-6 <= bt.cte.x(25.0) <= 15e-6 and 6e-6 <= bt.cte.x(250.0) <= 8e-6
    assert bt.cte.z(25.0) == 40e-6 and bt.cte.z(250.0) == 220e-6
    sac = get("sac305")  # Alasir table: SAC305 217 / 220 C, 7.38 g/cm^3, 58 W/(m K)
    assert (sac.solidus, sac.rho(25.0), sac.k[0](25.0)) == (217.0, 7380.0, 58.0)
    snpb = get("snpb")  # Alasir Sn62.5Pb36.1Ag1.4 179 C, 8.41, 50; TopLine Sn63/Pb37 30 GPa, 24.0 ppm/C
    assert (snpb.solidus, snpb.rho(25.0), snpb.k[0](25.0)) == (179.0, 8410.0, 50.0)
    assert (snpb.elastic.E(25.0), snpb.cte.x(25.0)) == (30e9, 24e-6)
    pi = get("polyimide")  # DuPont: 2.5 / 2.0 GPa at 23 / 200 C, 0.34, 20 ppm/C, 0.12 W/(m K), 1.42, 1.09 J/(g K)
    assert list(pi.elastic.E([23.0, 200.0])) == [2.5e9, 2.0e9] and pi.elastic.nu(25.0) == 0.34
    assert (pi.cte.x(25.0), pi.k[0](25.0), pi.rho(25.0), pi.cp(25.0)) == (20e-6, 0.12, 1420.0, 1090.0)


def test_docs_show_every_source_as_the_library_holds_it():
    """docs/materials.md lists, in each material's section, '- prop[, prop ...]: source' exactly as in the
    library (properties with the same source share a line)."""
    for name in builtin_names():
        sec = _section(name)
        shown = {}
        for props, text in re.findall(r"^- ([A-Za-z0-9_]+(?:, [A-Za-z0-9_]+)*): (.*)$", sec, re.M):
            for prop in props.split(", "):
                shown[prop] = text
        assert shown == dict(get(name).sources), f"docs/materials.md, {name}: sources differ from the library"
        assert get(name).notes in sec


def test_docs_table_of_assumed_values_is_the_library_s():
    """docs/materials.md, "Assumed values by material": one row per material naming exactly its assumed values
    (parenthetical remarks aside)."""
    table = DOC[DOC.index("### Assumed values by material"):]
    for name in builtin_names():
        row = re.search(rf"^\| `{name}` \| (.*) \|$", table, re.M)
        assert row, f"no row for {name}"
        listed = [w.strip() for w in re.sub(r"\([^)]*\)", "", row.group(1)).split(",")]
        want = list(assumed_sources(get(name))) or ["none"]
        assert listed == want, name


def test_used_properties_follow_the_analysis():
    """Simple mode, elastic: E, nu, cte, Tg only; a process history with inelastic models adds the solidus and
    the model's parameter block of exactly the materials given that model."""
    simple = used_properties(load_case(REFERENCE))
    assert simple["sac305"] == ["E", "nu", "cte", "Tg"] and simple["copper"] == ["E", "nu", "cte", "Tg"]
    cyc = used_properties(load_case(ROOT / "cases" / "reference_cycling.yaml"))
    assert "anand" in cyc["sac305"] and "solidus" in cyc["sac305"] and "j2" in cyc["copper"]
    assert "prony" in cyc["emc"] and "prony" in cyc["die_attach_lowmod"] and "prony" not in cyc["solder_mask"]
    assert not any(p in cyc[m] for m in cyc for p in ("k", "rho", "cp"))  # uniform temperature: no heat problem
    assert not any("moisture" in cyc[m] for m in cyc)  # a dry history reads no moisture record
    msl = load_case(ROOT / "cases" / "reference_msl.yaml")
    listed = {v.material for v in assumed_values(msl) if v.prop == "moisture"}
    # the permeable materials' records (each partly assumed); silicon, copper and solder have none to list
    assert listed == {"emc", "die_attach_lowmod", "solder_mask", "bt_laminate"}


@pytest.mark.parametrize("case, count", [("reference", 17), ("reference_cycling", 21), ("reference_reflow", 21),
                                         ("reference_msl", 25), ("tab_traces", 12), ("laminate_bimetal", 0)])
def test_shipped_cases_use_the_assumed_values_docs_state(case, count):
    """docs/materials.md states how many assumed values each shipped case uses."""
    vals = assumed_values(load_case(ROOT / "cases" / f"{case}.yaml"))
    assert len(vals) == count, [f"{v.material}.{v.prop}" for v in vals]


def test_an_override_with_a_source_is_no_longer_assumed_one_without_is():
    base = load_case(REFERENCE).input_dict()
    listed = {(v.material, v.prop) for v in assumed_values(load_case(base))}
    assert ("emc", "E") in listed and ("emc", "nu") in listed
    sourced = {**base, "materials": {"emc": {"E": "20 GPa", "source": "our DMA, lot 7, 2026"}}}
    after = {(v.material, v.prop): v for v in assumed_values(load_case(sourced))}
    assert ("emc", "E") not in after and ("emc", "nu") in after  # only what the override gives is sourced
    bare = {**base, "materials": {"emc": {"E": "20 GPa"}}}
    after = {(v.material, v.prop): v for v in assumed_values(load_case(bare))}
    assert "no source given" in after[("emc", "E")].source


def test_fcpkg_check_lists_the_assumed_values_of_the_reference_case(tmp_path):
    """`fcpkg check cases/reference.yaml` exits 0 and prints one line per assumed value it uses: the generic EMC's
    and die attach's E, nu, CTE and Tg, not the silicon (read), not the elastic copper (read), not the SAC305
    Anand constants (no region of this elastic case uses them)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    r = subprocess.run([sys.executable, "-m", "fcpkg_fem", "check", str(REFERENCE)], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "ok: the case is valid" in r.stdout
    assert "assumed:    17 material values" in r.stdout
    lines = [ln.split()[0] for ln in r.stdout.splitlines() if re.match(r"  [a-z0-9_]+\.[A-Za-z_]+ ", ln)]
    want = [f"{v.material}.{v.prop}" for v in assumed_values(load_case(REFERENCE))]
    assert lines == want
    assert {"emc.E", "emc.nu", "emc.cte", "emc.Tg", "die_attach_lowmod.E", "die_attach_lowmod.Tg"} <= set(lines)
    assert not [ln for ln in lines if ln.startswith(("silicon.", "copper.")) or ln.endswith(".anand")]
    assert list(tmp_path.iterdir()) == []  # check writes nothing
