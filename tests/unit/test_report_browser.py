"""report.html in a real browser: headless Chromium lays the page out, and a probe appended to a copy of the page
measures what a reader would see: every input table with a size on screen, every plot decoded with its pixels
drawn, the contents linking to sections that exist, no table wider than the window.

Marked ``browser``; skipped, with the reason, when no chromium, chromium-browser or google-chrome binary is on
PATH (CI machines usually have none). With one, it runs in the default suite: the small package of
tests/support/robust.py (every part of the reference, a T(t) table of two points so that the load profile is
drawn) runs in a few seconds and Chromium lays the page out in about two.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from support.robust import mini_package

from fcpkg_fem import api

pytestmark = pytest.mark.browser

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WIDTH = 1280  # px: a laptop screen

# Runs once the page and its images have loaded; writes its measurements into the DOM for --dump-dom to print.
PROBE = """
<script>
window.addEventListener("load", function () {
  function box(el) {
    var r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return {w: r.width, h: r.height, right: r.right,
            shown: s.display !== "none" && s.visibility !== "hidden" && parseFloat(s.opacity) > 0};
  }
  var tables = Array.prototype.map.call(document.querySelectorAll("section table"), function (t) {
    var b = box(t); b.section = t.closest("section").id; b.rows = t.rows.length; return b;
  });
  var images = Array.prototype.map.call(document.images, function (i) {
    var b = box(i); b.alt = i.alt; b.complete = i.complete; b.natural = [i.naturalWidth, i.naturalHeight]; return b;
  });
  var links = Array.prototype.map.call(document.querySelectorAll("nav a"), function (a) {
    return {href: a.getAttribute("href"), target: !!document.getElementById(a.getAttribute("href").slice(1))};
  });
  var out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify({tables: tables, images: images, links: links, width: window.innerWidth});
  document.body.appendChild(out);
});
</script>
"""


def _browser() -> str | None:
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    """The probe's measurements of the report of a small real run, and the page's HTML."""
    browser = _browser()
    if browser is None:
        pytest.skip(f"no browser to render report.html with: none of {', '.join(BROWSERS)} is on PATH")
    raw = mini_package()
    raw["load"] = {"stress_free_temperature": "25 degC", "history": {"time": ["0 s", "10 min"],
                                                                     "temperature": ["25 degC", "125 degC"]}}
    raw["output"] = {"vtu": False, "csv": False, "plots": True, "report": True}
    folder = tmp_path_factory.mktemp("browser") / "run"
    api.run(api.load_case(raw), out_dir=folder)
    page = (folder / "report.html").read_text(encoding="utf-8")
    probed = folder / "report_probe.html"  # a copy: the run's own report stays as written
    probed.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    cmd = [browser, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--hide-scrollbars",
           f"--window-size={WIDTH},900", "--virtual-time-budget=10000", f"--user-data-dir={folder / 'profile'}",
           "--dump-dom", probed.as_uri()]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found, f"the probe did not run; the browser printed:\n{dom[:2000]}"
    text = found.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return json.loads(text), page


def test_input_tables_are_laid_out_visibly(probe):
    data, _ = probe
    by_section: dict[str, list[dict]] = {}
    for t in data["tables"]:
        by_section.setdefault(t["section"], []).append(t)
    for section in ("run", "geometry", "regions", "materials", "load", "mesh", "solver", "results"):
        assert by_section.get(section), f"no table in section {section!r}"
        for t in by_section[section]:
            assert t["shown"] and t["w"] > 50 and t["h"] > 10 * t["rows"], (section, t)
    # geometry: carriers, dies, joints, heights, adhesive/encapsulant; materials: overview, assumed list, 7 materials
    assert len(by_section["geometry"]) == 5 and len(by_section["materials"]) == 2 + 7
    # nothing runs off the right edge of a laptop-wide window
    assert max(t["right"] for t in data["tables"]) <= data["width"], [t for t in data["tables"] if t["right"] > WIDTH]


def test_every_plot_and_the_load_profile_are_drawn(probe):
    data, page = probe
    images = data["images"]
    assert len(images) == page.count("data:image/png;base64,") >= 3
    for img in images:
        assert img["complete"] and min(img["natural"]) > 100, img  # decoded: the PNG has its pixels
        assert img["shown"] and img["w"] > 200 and img["h"] > 100, img  # and takes room on the page
    assert [i["alt"] for i in images][0] == "temperature_profile"  # the load's T(t) table, drawn under the load
    assert "warpage_vs_temperature.png" in [i["alt"] for i in images]


def test_the_contents_link_to_sections_that_exist(probe):
    links = probe[0]["links"]
    assert len(links) >= 10 and all(link["target"] for link in links), links
