"""Numbers and tables of ``report.html`` formatted for people (shared by :mod:`fcpkg_fem.io.report` and its parts).

Integers get thousands separators (``223,464``), other numbers a few significant digits without an exponent where
one is not needed (``0.18``, ``2,330``, ``1.2e-09``); lengths are given in um or mm with the unit in the column
header. Every function returns HTML that is already escaped.
"""

from __future__ import annotations

import html
import math
from typing import Any

__all__ = ["DASH", "e", "integer", "kv", "length_um", "length_mm", "num", "section", "sig", "table"]

#: what an empty cell shows (a blank would read as "forgotten")
DASH = "\u2014"


def e(v: Any) -> str:
    """``v`` as escaped HTML text."""
    return html.escape(str(v), quote=True)


def integer(n: Any) -> str:
    """An integer with thousands separators (``223,464``); None as a dash."""
    if n is None:
        return DASH
    return f"{int(n):,}"


def sig(x: Any, digits: int = 4) -> str:
    """A number with ``digits`` significant digits, without exponent between 1e-4 and 1e7 (thousands
    separated), trailing zeros dropped: ``sig(0.000345) == "0.000345"``, ``sig(23e3) == "23,000"``; ints as
    :func:`integer`; None as a dash; anything else escaped as text."""
    if x is None:
        return DASH
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return e(x)
    if isinstance(x, int):
        return integer(x)
    if not math.isfinite(x):
        return e(x)
    if x == 0:
        return "0"
    mag = math.floor(math.log10(abs(x)))
    if not -4 <= mag < 7:
        mant, exp = f"{x:.{digits - 1}e}".split("e")
        return f"{mant.rstrip('0').rstrip('.')}e{int(exp)}"
    decimals = max(digits - 1 - mag, 0)
    text = f"{x:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def length_um(x_m: Any, digits: int = 4) -> str:
    """A length given in m, shown in um (the unit goes in the column header)."""
    return DASH if x_m is None else sig(float(x_m) * 1e6, digits)


def length_mm(x_m: Any, digits: int = 4) -> str:
    """A length given in m, shown in mm (the unit goes in the column header)."""
    return DASH if x_m is None else sig(float(x_m) * 1e3, digits)


def num(v: Any, fmt: str = ".4g") -> str:
    """A value of the results tables: ints with thousands separators, floats by ``fmt``, None as a dash."""
    if v is None:
        return DASH
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return integer(v)
    if isinstance(v, float):
        return format(v, fmt)
    return e(v)


def table(header: list[str] | None, rows: list[list[str]], numeric_from: int = 1, cls: str = "") -> str:
    """HTML table; cells are already-escaped HTML; columns from ``numeric_from`` on are right-aligned; no header
    row when ``header`` is None."""
    attr = f' class="{e(cls)}"' if cls else ""
    out = [f"<table{attr}>" + ("<tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>" if header else "")]
    for r in rows:
        out.append("<tr>" + "".join(f'<td class="n">{c}</td>' if j >= numeric_from else f"<td>{c}</td>"
                                    for j, c in enumerate(r)) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def kv(d: dict[str, Any], cls: str = "") -> str:
    """Two-column table of ``label -> value``; numbers by :func:`sig`, texts escaped."""
    rows = [[e(k), sig(v) if v is None or isinstance(v, (int, float)) and not isinstance(v, bool) else e(v)]
            for k, v in d.items()]
    return table(None, rows, numeric_from=2, cls=cls)  # labels and values both read left to right


def section(ident: str, title: str, *body: str) -> str:
    """A titled part of the page: ``<section id=ident><h2>title</h2> body </section>`` (the contents link to the id;
    ``title`` is plain text, ``body`` HTML)."""
    return "\n".join([f'<section id="{e(ident)}"><h2>{e(title)}</h2>', *body, "</section>"])
