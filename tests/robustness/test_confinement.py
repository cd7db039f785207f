"""A case cannot write outside the folder the run is launched from, nor run code (issue 6, acceptance 4).

Specified (docs/robustness.md): ``output.dir`` must resolve inside the current directory: an absolute path, a
``..`` that climbs out and a symlink that leads out are refused as bad input naming ``output.dir`` (exit 2) before
anything is created (no run folder, no mesh cache); ``--out`` on the command line is the user's choice and is
not confined. A case with a YAML object tag is refused and runs nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.robust import fcpkg, laminate, tree, write_case

from fcpkg_fem import api
from fcpkg_fem.cli import main as cli_main
from fcpkg_fem.errors import InputError
from fcpkg_fem.case.paths import confine, path_problem

QUICK = ["--set", "output.vtu=false", "--set", "output.plots=false", "--set", "output.report=false"]


@pytest.fixture
def site(tmp_path):
    """``work/`` (where runs are launched, holding the case and a symlink ``link`` to ``outside/``)."""
    work, outside = tmp_path / "work", tmp_path / "outside"
    work.mkdir()
    outside.mkdir()
    (work / "link").symlink_to(outside, target_is_directory=True)
    write_case(laminate(), work / "case.yaml")
    return work, outside


@pytest.mark.parametrize("given, why", [
    ("../escape", "climbs out"),
    ("runs/../../escape", "climbs out"),
    ("/tmp/fcpkg_confinement_escape", "absolute path"),
    ("~/fcpkg_escape", "starts with '~'"),
    ("link/run", "symbolic link"),
])
@pytest.mark.parametrize("command", ["run", "check"])
def test_output_dir_outside_is_refused_and_nothing_is_created(site, given, why, command, monkeypatch, capsys):
    """In-process (cli.main, as the command runs it) for speed; the subprocess test below covers one for real."""
    work, outside = site
    monkeypatch.chdir(work)
    before = tree(work)
    code = cli_main.main([command, "case.yaml", "--set", f"output.dir={given}"])
    out, err = capsys.readouterr()
    assert code == 2, err
    assert err.startswith("error: ")
    assert "output.dir" in err and why in err
    assert "Traceback" not in err and out == ""
    assert tree(work) == before  # no run folder, no mesh cache
    assert tree(outside) == []
    assert not Path("/tmp/fcpkg_confinement_escape").exists()


def test_symlink_out_is_refused_by_the_command(site):
    work, outside = site
    before = tree(work)
    r = fcpkg("run", "case.yaml", "--set", "output.dir=link/run", cwd=work)
    assert r.returncode == 2, r.stderr
    assert "output.dir" in r.stderr and "symbolic link" in r.stderr and "Traceback" not in r.stderr
    assert tree(work) == before and tree(outside) == []


def test_output_dir_inside_is_used_and_out_option_is_trusted(site, tmp_path):
    work, outside = site
    r = fcpkg("run", "case.yaml", "--set", "output.dir=results/a/../b", *QUICK, "--quiet", cwd=work)
    assert r.returncode == 0, r.stderr
    assert (work / "results" / "b" / "summary.json").is_file()
    assert "results in results/b/" in r.stdout
    # the same folder through --out: the user's own choice, even outside the launch folder
    r = fcpkg("run", "case.yaml", "--out", outside / "mine", *QUICK, "--quiet", cwd=work)
    assert r.returncode == 0, r.stderr
    assert (outside / "mine" / "summary.json").is_file()


def test_api_run_confines_output_dir_to_the_current_directory(site, monkeypatch):
    work, outside = site
    monkeypatch.chdir(work)
    case = api.load_case(laminate(), overrides=["output.dir=link/run", "output.vtu=false", "output.plots=false",
                                                "output.report=false"])  # the text is fine, the link is not
    before = tree(work)
    with pytest.raises(InputError) as exc:
        api.run(case)
    assert [p.field for p in exc.value.problems] == ["output.dir"]
    assert tree(work) == before and tree(outside) == []
    # a folder chosen by the caller is trusted
    result = api.run(case, out_dir=outside / "chosen")
    assert json.loads((outside / "chosen" / "summary.json").read_text())["case"]["name"] == case.name
    assert result.out_dir == outside / "chosen"


def test_yaml_object_tag_is_refused_and_runs_nothing(tmp_path, monkeypatch, capsys):
    text = (Path(write_case(laminate(), tmp_path / "base.yaml")).read_text()
            + 'evil: !!python/object/apply:os.system ["touch pwned"]\n')
    (tmp_path / "tagged.yaml").write_text(text)
    monkeypatch.chdir(tmp_path)
    before = tree(tmp_path)
    for command in ("run", "check", "mesh"):
        assert cli_main.main([command, "tagged.yaml"]) == 2
        err = capsys.readouterr().err
        assert "tags are not allowed" in err and "Traceback" not in err
        assert tree(tmp_path) == before  # no pwned file, no run folder, no mesh cache


@pytest.mark.parametrize("path, ok", [
    ("runs/x", True), ("a/../b", True), ("./x", True), ("a/..", True),
    ("..", False), ("a/../../b", False), ("/abs", False), ("~", False), ("", False), ("a\x00b", False),
])
def test_path_problem_judges_the_text(path, ok):
    assert (path_problem(path) is None) == ok


def test_confine_resolves_inside_and_refuses_links_out(tmp_path, monkeypatch):
    base, out = tmp_path / "base", tmp_path / "out"
    base.mkdir()
    out.mkdir()
    (base / "in_link").symlink_to(base / "real", target_is_directory=True)  # a link that stays inside
    (base / "out_link").symlink_to(out, target_is_directory=True)
    assert confine("a/b", base, "f") == base.resolve() / "a" / "b"
    assert confine("in_link/x", base, "f") == base.resolve() / "real" / "x"
    with pytest.raises(InputError) as exc:
        confine("out_link/x", base, "materials.x.file")
    assert exc.value.problems[0].field == "materials.x.file"
    assert str(out.resolve()) in exc.value.problems[0].message
    # a relative base (e.g. a case file's folder given relative to the current directory)
    monkeypatch.chdir(tmp_path)
    assert confine("a", "base", "f") == base.resolve() / "a"


def test_a_table_file_is_read_only_when_it_is_a_small_regular_text_file(tmp_path):
    """/dev/zero would be read for ever, a large file would fill memory, and another kind of file must not leak its
    lines into a message: each is refused naming the field, and no message quotes the file's content."""
    from fcpkg_fem.materials.prony import MAX_TABLE_BYTES, load_prony_csv

    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\nhunter2:is:the:password\n")
    big = tmp_path / "big.csv"
    big.write_bytes(b"tau_s,G_MPa,K_MPa\n" + b"1,2,3\n" * (MAX_TABLE_BYTES // 6 + 1))
    binary = tmp_path / "bin.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    for path, why in ((Path("/dev/zero"), "not a regular file"), (tmp_path, "not a regular file"),
                      (big, "a table may have at most"), (binary, "not a text (CSV) table"),
                      (secret, "has a cell that is not a number")):
        with pytest.raises(InputError) as exc:
            load_prony_csv(path, Tref_C=25.0, field="materials.emc.prony.csv")
        (p,) = exc.value.problems
        assert p.field == "materials.emc.prony.csv" and why in p.message, p.message
        assert "root:x" not in p.message and "hunter2" not in p.message


def _prony_case(tmp_path: Path, csv_path: str) -> Path:
    raw = laminate()
    raw["materials"] = {"emc_dma": {"base": "emc", "source": "DMA test", "prony": {"csv": csv_path, "Tref": "150 C"}}}
    raw["laminate"]["layers"][0]["material"] = "emc_dma"
    return write_case(raw, tmp_path / "case" / "lam.yaml")


@pytest.mark.parametrize("given", ["/etc/passwd", "../../../../../../etc/passwd", "link/passwd", "../outside.csv"])
def test_a_data_file_outside_the_case_folder_is_refused_unread(tmp_path, given):
    """A case names only files in its own folder (symbolic links resolved): it cannot read a file of the machine,
    let alone quote it in a message."""
    (tmp_path / "case").mkdir()
    (tmp_path / "outside.csv").write_text("root:x:0:0\n")
    (tmp_path / "case" / "link").symlink_to("/etc")
    case = _prony_case(tmp_path, given)
    r = fcpkg("check", case, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "materials.emc_dma.prony.csv" in r.stderr and "leads outside the case file's folder" in r.stderr
    assert "root:x" not in r.stderr and "Traceback" not in r.stderr


def test_data_files_named_by_an_override_are_confined_too_and_data_dir_widens_the_folders(tmp_path):
    (tmp_path / "case").mkdir()
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "p.csv").write_text("tau_s,G_MPa,K_MPa\ninf,10,1000\n1,100,0\n")
    (tmp_path / "case" / "p.csv").write_text((tmp_path / "tables" / "p.csv").read_text())
    case = _prony_case(tmp_path, "p.csv")
    assert fcpkg("check", case, cwd=tmp_path).returncode == 0
    r = fcpkg("check", case, "--set", "materials.emc_dma.prony.csv=/etc/passwd", cwd=tmp_path)
    assert r.returncode == 2 and "leads outside the case file's folder" in r.stderr and "root:" not in r.stderr
    r = fcpkg("check", case, "--set", f"materials.emc_dma.prony.csv={tmp_path / 'tables' / 'p.csv'}", cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    r = fcpkg("check", case, "--set", f"materials.emc_dma.prony.csv={tmp_path / 'tables' / 'p.csv'}",
              "--data-dir", tmp_path / "tables", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
