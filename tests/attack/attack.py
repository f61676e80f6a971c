#!/usr/bin/env python3
"""An independent reader-side attacker on one edition of the DTTO statistics.

    python3 tests/attack/attack.py OUTPUT/<period> [--threshold 5] [--time-limit 10]

Reads only what a member of the public holds: the edition's public CSVs
(public/data/*.csv and public/data/series/*.csv) and the published
definitions (queries/tables/*.toml: what each table counts and which tables
repeat each other's figures). It does not use pipeline/crates/protect/src/disclosure/.

It writes every relation a reader can know as linear (in)equalities over
whole numbers (see README.md in this folder for the list and the
assumptions), splits them into connected components, and for each withheld
figure ([c]) and each unpublished single-quarter count solves an integer
programme (HiGHS) for its least and greatest value. It prints, as CSV on
stdout, every figure whose range is a single value or lies within
1 .. threshold - 1 (single quarters: only when their least value is 1 or
more; a single quarter pinned to 0 reveals no small number). Progress,
timings, timeouts and any relation the published figures break (which
would mean the model is wrong) go to stderr.

Exit code: 0 nothing found, 1 findings, 2 the model is inconsistent with the
published figures or a solve timed out, 3 usage error.
"""

import argparse
import csv
import io
import json
import os
import re
import sys
import time
import tomllib
from collections import defaultdict

import numpy as np
import highspy

FIGURE_COLUMNS = ("count", "numerator", "denominator", "total")
DERIVED_COLUMNS = ("rate", "ci_lower", "ci_upper", "mean", "status", "quarter", "window_ending")
BIG = 10_000_000  # upper bound on any count: reaching it means "no upper bound"

HERE = os.path.dirname(os.path.abspath(__file__))
QUERIES = os.path.normpath(os.path.join(HERE, "..", "..", "queries", "tables"))


# ---------------------------------------------------------------- quarters
def qidx(label):
    return int(label[:4]) * 4 + int(label[5]) - 1


def qlabel(i):
    return f"{i // 4}Q{i % 4 + 1}"


def fy_end_quarter(fy):
    """'2004-05' (April 2004 to March 2005) ends in 2005Q1."""
    return qidx(f"{int(fy[:4]) + 1}Q1")


# ---------------------------------------------------------------- reading
def read_csv(path):
    with open(path, newline="") as f:
        lines = [l for l in f if not l.startswith("#")]
    return list(csv.DictReader(io.StringIO("".join(lines))))


def load_metadata():
    meta = {}
    for name in sorted(os.listdir(QUERIES)):
        if name.endswith(".toml"):
            with open(os.path.join(QUERIES, name), "rb") as f:
                m = tomllib.load(f)
            meta[m["id"]] = m
    return meta


def quarters_back_of_windows():
    """windows.toml: each window's name and how many quarters before the
    period end its 12 months end."""
    with open(os.path.join(QUERIES, "..", "windows.toml"), "rb") as f:
        return {w["name"]: w["quarters_back"] for w in tomllib.load(f)["window"]}


def only_window(m, back):
    """How many quarters back the one window a table's words name ends
    (`{lagged}`), or None where they name several or none."""
    named = {n for n in re.findall(r"\{(\w+)\}", m.get("cohort", "") + m.get("counted", "")) if n in back}
    return back[named.pop()] if len(named) == 1 else None


def link_lag(meta, tb, other, back):
    """A link repeats the other table's rows of the same 12 months: as many
    quarters earlier as its window ends before this table's."""
    own, theirs = only_window(meta[tb], back), only_window(meta[other], back)
    return own - theirs if own is not None and theirs is not None else 0


class Edition:
    """Cells are keyed (table, quarter index, dims, figure); dims is a tuple
    of (dimension, value) in the table's column order. Single quarters are
    keyed with table + '#q'."""

    def __init__(self, folder, meta):
        self.folder = folder
        self.meta = meta
        data = os.path.join(folder, "public", "data")
        manifest = os.path.join(folder, "public", "manifest.json")
        period = None
        if os.path.exists(manifest):
            with open(manifest) as f:
                period = json.load(f).get("period")
        self.period = qidx(period or os.path.basename(os.path.normpath(folder)))
        self.files = {}  # (table, 'period'|'series') -> rows
        for name in sorted(os.listdir(data)):
            if name.endswith(".csv"):
                self.files[(name[:-4], "period")] = read_csv(os.path.join(data, name))
        sdir = os.path.join(data, "series")
        if os.path.isdir(sdir):
            for name in sorted(os.listdir(sdir)):
                if name.endswith(".csv"):
                    self.files[(name[:-4], "series")] = read_csv(os.path.join(sdir, name))


# ---------------------------------------------------------------- the model
class Model:
    def __init__(self, threshold):
        self.t = threshold
        self.known = {}          # cell -> published value (or 0 for an absent row)
        self.withheld = {}       # cell -> description, published scope, value withheld
        self.singles = {}        # cell -> description, unpublished single quarter
        self.rel = []            # (coefs {cell: c}, sense, rhs, why): sum c*x  sense  rhs
        self.cells = set()

    def eq(self, coefs, rhs, why):
        self.rel.append((coefs, "=", rhs, why))

    def le(self, coefs, rhs, why):
        self.rel.append((coefs, "<=", rhs, why))


def is_all(v):
    return v == "All" or v.startswith("All ")


def build(ed, t, args):
    meta = ed.meta
    m = Model(t)
    P = ed.period

    # Dimension columns and figures of every table; one table per id, its
    # period file being the series' row for the period quarter.
    tables = sorted({tb for tb, _ in ed.files})
    dims_of, figs_of = {}, {}
    for tb in tables:
        rows = ed.files.get((tb, "period")) or ed.files.get((tb, "series"))
        cols = list(rows[0].keys()) if rows else []
        desc = set(meta.get(tb, {}).get("descriptive", []))
        figs_of[tb] = [c for c in cols if c in FIGURE_COLUMNS]
        dims_of[tb] = [c for c in cols if c not in FIGURE_COLUMNS and c not in DERIVED_COLUMNS and c not in desc]

    # Tables whose denominator is the population total shared by every row
    # (no National row: who_is_on_the_order): the denominator is the
    # numerator of a virtual National/All row.
    shared_denominator = {tb for tb in tables
                          if meta.get(tb, {}).get("kind") == "rate"
                          and "National" not in meta.get(tb, {}).get("breakdowns", ["National"])}
    distinct = {tb for tb in tables if "once each" in meta.get(tb, {}).get("counted", "")}
    has_series = {tb for tb in tables if (tb, "series") in ed.files}

    # commencements_against_target is the commencements count by area of
    # each financial year: read it as commencements rows at the quarter that
    # ends the financial year (the metadata link, for every year it gives).
    alias = {}
    if "commencements_against_target" in tables and "commencements" in tables:
        alias["commencements_against_target"] = "commencements"

    def norm_row(tb, r):
        """(table, dims) of a row, after aliasing."""
        if tb in alias:
            area = r["area"]
            if is_all(area):
                d = (("breakdown", "National"), ("group", "All"))
            else:
                d = (("breakdown", "Probation area"), ("group", area))
            return alias[tb], d, fy_end_quarter(r["financial_year"])
        return tb, tuple((c, r[c]) for c in dims_of[tb]), None

    # Universe of group labels per breakdown (every table, every file), and
    # of the other dimensions' values per table.
    groups = defaultdict(set)
    for (tb, kind), rows in ed.files.items():
        for r in rows:
            if "breakdown" in r:
                groups[r["breakdown"]].add(r["group"])
            if tb in alias and not is_all(r["area"]):
                groups["Probation area"].add(r["area"])
    groups["National"] = {"All"}
    for tb in shared_denominator:
        pass
    othervals = defaultdict(lambda: defaultdict(set))  # table -> dim -> values
    for (tb, kind), rows in ed.files.items():
        for r in rows:
            for c in dims_of[tb]:
                if c not in ("breakdown", "group"):
                    othervals[tb][c].add(r[c])

    def cell_figs(tb):
        if tb in shared_denominator:
            return ["numerator"]
        return figs_of[tb]

    def keyfig(tb, q, d, f):
        return (tb, q, d, f)

    def label(d):
        parts = []
        dd = dict(d)
        if "breakdown" in dd:
            parts.append(f"{dd['breakdown']}: {dd['group']}")
        parts += [f"{k}: {v}" for k, v in d if k not in ("breakdown", "group")]
        return "; ".join(parts)

    # ------------------------------------------------ published cells
    scope = defaultdict(set)        # (table, q) -> set of breakdowns published
    present = defaultdict(set)      # (table, q) -> dims present
    quarters = defaultdict(set)     # table -> quarter indexes published
    for (tb0, kind), rows in ed.files.items():
        for r in rows:
            tb, d, q = norm_row(tb0, r)
            if q is None:
                q = qidx(r["quarter"]) if kind == "series" else P
            quarters[tb0].add(q)
            bd = dict(d).get("breakdown")
            scope[(tb, q)].add(bd)
            present[(tb, q)].add(d)
            for f in figs_of[tb0]:
                v = r[f]
                fig = f
                dd = d
                if tb in shared_denominator and f == "denominator":
                    dd = tuple(x for x in d if x[0] not in ("breakdown", "group")) + (("breakdown", "National"), ("group", "All"))
                    dd = order_dims(dd, dims_of[tb])
                    fig = "numerator"
                k = keyfig(tb, q, dd, fig)
                if v == "":
                    if "[c]" not in r["status"]:
                        print(f"warning: {tb0} {r} empty {f} without [c]", file=sys.stderr)
                    if k not in m.known:
                        m.withheld[k] = (tb0, qlabel(q), label(dd), fig)
                else:
                    val = int(v)
                    if k in m.known and m.known[k] != val:
                        print(f"INCONSISTENT: {k} published as {m.known[k]} and {val}", file=sys.stderr)
                    m.known[k] = val
                    m.withheld.pop(k, None)
                m.cells.add(k)
    # A virtual National row carries the shared denominator.
    for (tb, q), bds in list(scope.items()):
        if tb in shared_denominator:
            bds.add("National")

    def universe(tb, bds):
        """Every dims tuple of table tb over the breakdowns bds."""
        out = [()]
        for c in dims_of[tb]:
            if c == "breakdown":
                out = [o + (("breakdown", b),) for o in out for b in sorted(bds)]
            elif c == "group":
                out = [o + (("group", g),) for o in out for g in sorted(groups[dict(o)["breakdown"]])]
            else:
                out = [o + ((c, v),) for o in out for v in sorted(othervals[tb][c])]
        return out

    # Absent rows within a published scope: 0. A series covers every quarter
    # from its first to the period.
    for tb in tables:
        if tb in alias:
            continue
        if tb in has_series:
            qs = quarters[tb] | {P}
            lo, hi = min(qs), max(qs)
            sbds = set()
            for r in ed.files[(tb, "series")]:
                sbds.add(r.get("breakdown"))
            if tb in shared_denominator:
                sbds.add("National")
            for q in range(lo, hi + 1):
                scope[(tb, q)] |= sbds
        for (tb2, q), bds in list(scope.items()):
            if tb2 != tb:
                continue
            for d in universe(tb, bds):
                if d in present[(tb, q)]:
                    continue
                if tb in shared_denominator and dict(d).get("breakdown") == "National":
                    continue
                for f in cell_figs(tb):
                    k = keyfig(tb, q, d, f)
                    if k not in m.withheld:
                        m.known.setdefault(k, 0)
                    m.cells.add(k)
    # ------------------------------------------------ relations on a set of cells
    def additivity(tb, q, bds, single=False):
        name = tb + "#q" if single else tb
        for f in cell_figs(tb):
            dimsets = universe(tb, bds | {"National"})
            # groups of each breakdown add to the National row
            by_other = defaultdict(lambda: defaultdict(list))
            for d in dimsets:
                dd = dict(d)
                other = tuple(x for x in d if x[0] not in ("breakdown", "group"))
                by_other[other][dd.get("breakdown")].append(d)
            if "breakdown" in dims_of[tb]:
                for other, per in by_other.items():
                    nat = order_dims(other + (("breakdown", "National"), ("group", "All")), dims_of[tb])
                    for b, ds in per.items():
                        if b == "National":
                            continue
                        coefs = {keyfig(name, q, d, f): 1 for d in ds}
                        coefs[keyfig(name, q, nat, f)] = coefs.get(keyfig(name, q, nat, f), 0) - 1
                        m.eq(coefs, 0, f"{name} {qlabel(q)} {f}: {b} adds to National")
            # a value 'All...' in any other dimension totals the rest
            for c in dims_of[tb]:
                if c in ("breakdown", "group"):
                    continue
                alls = [v for v in othervals[tb][c] if is_all(v)]
                if not alls:
                    continue
                rest = [v for v in othervals[tb][c] if not is_all(v)]
                for d in dimsets:
                    dd = dict(d)
                    if dd[c] != alls[0]:
                        continue
                    coefs = {keyfig(name, q, d, f): -1}
                    for v in rest:
                        d2 = tuple((x, v if x == c else y) for x, y in d)
                        coefs[keyfig(name, q, d2, f)] = 1
                    m.eq(coefs, 0, f"{name} {qlabel(q)} {f}: {c} adds to {alls[0]}")
        # numerator within denominator
        if meta.get(tb, {}).get("kind") == "rate" and tb not in shared_denominator:
            for d in universe(tb, bds | {"National"}):
                m.le({keyfig(name, q, d, "numerator"): 1, keyfig(name, q, d, "denominator"): -1}, 0,
                     f"{name} {qlabel(q)} numerator <= denominator")
        if tb in shared_denominator:
            for d in universe(tb, bds - {"National"}):
                other = tuple(x for x in d if x[0] not in ("breakdown", "group"))
                nat = order_dims(other + (("breakdown", "National"), ("group", "All")), dims_of[tb])
                m.le({keyfig(name, q, d, "numerator"): 1, keyfig(name, q, nat, "numerator"): -1}, 0,
                     f"{name} {qlabel(q)} group within population")

    for (tb, q), bds in list(scope.items()):
        if "breakdown" in dims_of.get(tb, []) or tb in alias.values():
            additivity(tb, q, {b for b in bds if b})
        else:
            additivity(tb, q, set())

    # ------------------------------------------------ the series and its single quarters
    n_single = 0
    for tb in sorted(has_series):
        if tb in alias:
            continue
        sq = sorted(q for (tb2, q) in scope if tb2 == tb and q <= P)
        sbds = {r.get("breakdown") for r in ed.files[(tb, "series")]}
        if tb in shared_denominator:
            sbds.add("National")
        first = min(qidx(r["quarter"]) for r in ed.files[(tb, "series")])
        lo = first - 3
        single_q = range(lo, P + 1)
        for q in single_q:
            additivity(tb, q, set(sbds), single=True)
            for d in universe(tb, sbds):
                for f in cell_figs(tb):
                    k = keyfig(tb + "#q", q, d, f)
                    m.cells.add(k)
                    m.singles[k] = (tb, qlabel(q), label(d), f + " (single quarter)")
                    n_single += 1
        for Q in range(first, P + 1):
            for d in universe(tb, sbds):
                dd = dict(d)
                national = dd.get("breakdown") == "National"
                figs = cell_figs(tb)
                for f in figs:
                    w = keyfig(tb, Q, d, f)
                    parts = [keyfig(tb + "#q", Q - k, d, f) for k in range(4)]
                    if tb not in distinct:
                        coefs = {p: 1 for p in parts}
                        coefs[w] = -1
                        m.eq(coefs, 0, f"{tb} {qlabel(Q)} {f}: window = sum of its quarters")
                    else:
                        coefs = {p: -1 for p in parts}
                        coefs[w] = 1
                        m.le(coefs, 0, f"{tb} {qlabel(Q)} {f}: people in window <= sum of quarters")
                        # at least each quarter: only for everyone (National),
                        # and only for the people counted, not a numerator
                        # (a group or an outcome is that of the person's
                        # first Order in the window, which may differ).
                        if national and (f == "denominator" or tb in shared_denominator):
                            for p in parts:
                                m.le({p: 1, w: -1}, 0, f"{tb} {qlabel(Q)} {f}: window >= each quarter")
                if tb in distinct and "denominator" in figs and "numerator" in figs:
                    # people not reconvicted in the window were not in their first quarter either
                    coefs = {keyfig(tb, Q, d, "denominator"): 1, keyfig(tb, Q, d, "numerator"): -1}
                    for k in range(4):
                        coefs[keyfig(tb + "#q", Q - k, d, "denominator")] = -1
                        coefs[keyfig(tb + "#q", Q - k, d, "numerator")] = 1
                    m.le(coefs, 0, f"{tb} {qlabel(Q)}: denominator - numerator <= sum of quarters'")

    # ------------------------------------------------ links between tables
    back = quarters_back_of_windows()
    for tb, mt in meta.items():
        if tb not in tables:
            continue
        for ln in mt.get("links", []):
            u = ln["table"]
            u_eff = alias.get(u, u)
            rows_lim = ln.get("rows", {})
            where = ln.get("where", {})
            match = ln.get("match", {})
            f, g = ln["figure"], ln["table_figure"]
            lag = link_lag(meta, tb, u, back)  # the other table's 12 months end this many quarters earlier
            for (tb2, q), bds in list(scope.items()):
                if tb2 != tb:
                    continue
                for d in universe(tb, bds):
                    dd = dict(d)
                    if any(dd.get(c) not in vs for c, vs in rows_lim.items()):
                        continue
                    if u in alias:
                        # commencements by area = that financial year's row
                        if (u_eff, q) not in scope and not any(k[0] == u_eff and k[1] == q for k in ()):
                            pass
                        fyq = {fy_end_quarter(r["financial_year"]) for r in ed.files[(u, "period")]}
                        if q not in fyq or q % 4 != 0:
                            continue
                        # the alias already stores them as commencements cells at q: nothing to add
                        continue
                    if (u, q - lag) not in scope:
                        continue
                    ubds = scope[(u, q - lag)]
                    cands = []
                    for ud in universe(u, ubds):
                        udd = dict(ud)
                        ok = True
                        for c, vs in where.items():
                            if udd.get(c) not in vs:
                                ok = False
                        for c, v in dd.items():
                            uc = match.get(c, c)
                            if uc in udd and udd[uc] != v:
                                ok = False
                        if ok:
                            cands.append(ud)
                    if not cands:
                        continue
                    fig_t = "numerator" if (tb in shared_denominator and f == "denominator") else f
                    coefs = defaultdict(int)
                    coefs[keyfig(tb, q, d, fig_t)] -= 1
                    for ud in cands:
                        coefs[keyfig(u, q - lag, ud, g)] += 1
                    if ln.get("at_most"):
                        m.le({k: -v for k, v in coefs.items()}, 0,
                             f"link {tb}.{f} <= {u}.{g} {qlabel(q - lag)} {label(d)}")
                    else:
                        m.eq(dict(coefs), 0, f"link {tb}.{f} = {u}.{g} {qlabel(q - lag)} {label(d)}")
    if not args.declared_only:
        n_extra = people_and_events(m, dims_of, shared_denominator)
        print(f"{n_extra} relations between tables of different units (see README)", file=sys.stderr)
    print(f"model: {len(m.known)} known cells, {len(m.withheld)} withheld, {n_single} single quarters, "
          f"{len(m.rel)} relations", file=sys.stderr)
    return m


def people_and_events(m, dims_of, shared_denominator):
    """Relations the metadata does not declare as links but which follow from
    what each table counts (its `counted`, numerator and denominator and the
    spec's definitions): people within the events that bring them in, and
    cohorts within the counts they are drawn from. Each holds group by group
    because a person is grouped by the very record (first Order or
    assessment in the window) that the event table counts in that group.
    Used only where both sides are cells of the model."""
    rel = 0
    by = defaultdict(list)  # (table, figure) -> cells
    for k in m.cells:
        by[(k[0], k[3])].append(k)
    # How many quarters earlier than {year} each window's 12 months end.
    back = quarters_back_of_windows()

    def bg(k):
        d = dict(k[2])
        return d.get("breakdown"), d.get("group")

    def cell(tb, q, b, g, fig, **other):
        cols = dims_of[tb.split("#")[0]]
        dd = {"breakdown": b, "group": g, **other}
        if set(dd) != set(cols):
            return None
        k = (tb, q, tuple((c, dd[c]) for c in cols), fig)
        return k if k in m.cells else None

    def le(a, b, why):
        nonlocal rel
        if a and b:
            m.le({a: 1, b: -1}, 0, why)
            rel += 1

    for suffix in ("", "#q"):
        # people commencing (assessed) within Orders commenced (assessments)
        for k in by[("who_is_on_the_order" + suffix, "numerator")]:
            d = dict(k[2])
            b, g = bg(k)
            if d["population"] == "People commencing":
                le(k, cell("commencements" + suffix, k[1], b, g, "count"), "people commencing <= Orders commenced")
            elif d["population"] == "People assessed":
                le(k, cell("suitability" + suffix, k[1], b, g, "denominator"), "people assessed <= assessments")
        # retention's cohort: Orders commenced one quarter earlier, less deaths
        for k in by[("retention" + suffix, "denominator")]:
            b, g = bg(k)
            le(k, cell("commencements" + suffix, k[1] - 1, b, g, "count"), "retention cohort <= commencements")
        # drug misuse: Orders terminated in the year, some of them
        for k in by[("drug_misuse_fell" + suffix, "denominator")]:
            b, g = bg(k)
            le(k, cell("terminations_by_reason" + suffix, k[1], b, g, "count", termination_reason="All reasons"),
               "drug misuse Orders <= Orders terminated")
        # continuity of care: Orders terminated one quarter earlier, except by death
        for k in by[("continuity_of_care" + suffix, "denominator")]:
            b, g = bg(k)
            q = k[1] - back["lagged"]
            a = cell("terminations_by_reason" + suffix, q, b, g, "count", termination_reason="All reasons")
            dd = cell("terminations_by_reason" + suffix, q, b, g, "count", termination_reason="Died")
            if a and dd:
                m.eq({k: 1, a: -1, dd: 1}, 0, "continuity cohort = terminations less deaths")
                rel += 1
        # reconviction cohorts: people commencing 18 (30) months earlier
        for tb in ("reconviction_1y", "reconviction_2y"):
            lag = back[tb]
            for k in by[(tb + suffix, "denominator")]:
                b, g = bg(k)
                le(k, cell("commencements" + suffix, k[1] - lag, b, g, "count"), f"{tb} cohort <= commencements")
                if b == "National":
                    w = cell("who_is_on_the_order" + suffix, k[1] - lag, b, g, "numerator", population="People commencing")
                    if w:
                        m.eq({k: 1, w: -1}, 0, f"{tb} cohort = people commencing")
                        rel += 1
    # a reconvicted person has at least one proven offence
    for k in by[("reoffences", "total")]:
        d = dict(k[2])
        tb = {"One year": "reconviction_1y", "Two years": "reconviction_2y"}.get(d.get("follow_up"))
        if tb:
            b, g = bg(k)
            le(cell(tb, k[1], b, g, "numerator"), k, "reconvicted people <= their offences")
    return rel


def order_dims(d, cols):
    dd = dict(d)
    return tuple((c, dd[c]) for c in cols if c in dd)


# ---------------------------------------------------------------- solving
class DSU:
    def __init__(self):
        self.p = {}

    def find(self, x):
        p = self.p
        p.setdefault(x, x)
        while p[x] != x:
            p[x] = p[p[x]]
            x = p[x]
        return x

    def union(self, a, b):
        a, b = self.find(a), self.find(b)
        if a != b:
            self.p[a] = b


def solve(m, args):
    t = m.t
    # substitute the known cells
    rows = []
    bad = 0
    for coefs, sense, rhs, why in m.rel:
        c2 = defaultdict(int)
        r = rhs
        for k, c in coefs.items():
            if c == 0:
                continue
            if k in m.known:
                r -= c * m.known[k]
            else:
                c2[k] += c
        c2 = {k: c for k, c in c2.items() if c != 0}
        if not c2:
            if (sense == "=" and r != 0) or (sense == "<=" and r < 0):
                bad += 1
                if bad <= 20:
                    print(f"RELATION BROKEN by the published figures ({sense} {rhs}): {why}", file=sys.stderr)
            continue
        rows.append((c2, sense, r, why))
    if bad:
        print(f"{bad} relations broken by published figures: the model is wrong there", file=sys.stderr)

    dsu = DSU()
    for c2, *_ in rows:
        ks = list(c2)
        dsu.find(ks[0])
        for k in ks[1:]:
            dsu.union(ks[0], k)
    targets = [k for k in list(m.withheld) + list(m.singles) if k not in m.known]
    for k in targets:
        dsu.find(k)
    comp_rows = defaultdict(list)
    for row in rows:
        comp_rows[dsu.find(next(iter(row[0])))].append(row)
    comp_targets = defaultdict(list)
    for k in targets:
        comp_targets[dsu.find(k)].append(k)

    findings, timeouts = [], []
    nsolves = 0
    t0 = time.time()
    comps = sorted(comp_targets, key=lambda c: len(comp_rows[c]))
    print(f"{len(comps)} components with targets; largest {max((len(comp_rows[c]) for c in comps), default=0)} relations",
          file=sys.stderr)
    for ci, c in enumerate(comps):
        crow = comp_rows[c]
        tg = comp_targets[c]
        vars_ = sorted({k for r in crow for k in r[0]} | set(tg), key=repr)
        idx = {k: i for i, k in enumerate(vars_)}
        n = len(vars_)
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("time_limit", float(args.time_limit))
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_abs_gap", 0.0)
        h.setOptionValue("threads", 1)
        inf = highspy.kHighsInf
        h.addVars(n, np.zeros(n), np.full(n, float(BIG)))
        h.changeColsIntegrality(n, np.arange(n, dtype=np.int32),
                                np.array([highspy.HighsVarType.kInteger] * n))
        for c2, sense, r, why in crow:
            ix = np.array([idx[k] for k in c2], dtype=np.int32)
            val = np.array([float(v) for v in c2.values()])
            lo = float(r) if sense == "=" else -inf
            h.addRow(lo, float(r), len(ix), ix, val)
        seen = defaultdict(set)

        def run(costs, sense):
            nonlocal nsolves
            h.changeColsCost(n, np.arange(n, dtype=np.int32), costs)
            h.changeObjectiveSense(sense)
            h.run()
            nsolves += 1
            st = h.getModelStatus()
            if st != highspy.HighsModelStatus.kOptimal:
                return st, None
            x = np.rint(np.array(h.getSolution().col_value)).astype(np.int64)
            for i, k in enumerate(vars_):
                s = seen[k]
                if len(s) < 4:
                    s.add(int(x[i]))
            return st, x

        ones = np.ones(n)
        st, x = run(ones, highspy.ObjSense.kMinimize)
        if x is None:
            print(f"component {ci}: no whole-number solution ({h.modelStatusToString(st)}); "
                  f"{len(crow)} relations, e.g. {crow[0][3]}", file=sys.stderr)
            timeouts.append((c, "infeasible" if st == highspy.HighsModelStatus.kInfeasible else "time limit"))
            continue
        run(ones, highspy.ObjSense.kMaximize)

        def safe(k):
            s = seen[k]
            if k in m.singles:
                return 0 in s or (len(s) >= 2 and max(s) >= t)
            return len(s) >= 2 and any(v == 0 or v >= t for v in s)

        # Settle most targets in batches: push all unsettled ones towards 0
        # together (single quarters and withheld figures), then pull the
        # unsettled withheld ones up together; repeat while that settles more.
        for _ in range(args.batches):
            todo = [k for k in tg if not safe(k)]
            if not todo:
                break
            costs = np.zeros(n)
            costs[[idx[k] for k in todo]] = 1.0
            run(costs, highspy.ObjSense.kMinimize)
            todo_w = [k for k in todo if k in m.withheld and not safe(k)]
            if todo_w:
                costs = np.zeros(n)
                costs[[idx[k] for k in todo_w]] = 1.0
                run(costs, highspy.ObjSense.kMaximize)
            if len([k for k in tg if not safe(k)]) == len(todo):
                break

        for k in tg:
            desc = m.withheld.get(k) or m.singles.get(k)
            shown = args.show and all(p in ",".join(desc) for p in args.show)
            if safe(k) and not shown:
                continue
            costs = np.zeros(n)
            costs[idx[k]] = 1.0
            st, x = run(costs, highspy.ObjSense.kMinimize)
            if x is None:
                timeouts.append((k, h.modelStatusToString(st)))
                continue
            lo_v = int(x[idx[k]])
            if (safe(k) or (k in m.singles and lo_v == 0)) and not shown:
                continue
            st, x = run(costs, highspy.ObjSense.kMaximize)
            if x is None:
                timeouts.append((k, h.modelStatusToString(st)))
                continue
            hi_v = int(x[idx[k]])
            if shown:
                print(f"shown: {','.join(desc)}: {lo_v} .. {hi_v}", file=sys.stderr)
            if lo_v == hi_v and (k in m.withheld or lo_v >= 1):
                findings.append(desc + (lo_v, hi_v))
            elif 1 <= lo_v and hi_v <= t - 1:
                findings.append(desc + (lo_v, hi_v))
        if args.verbose:
            print(f"component {ci}: {n} unknowns, {len(crow)} relations, {len(tg)} targets, "
                  f"{time.time() - t0:.1f}s", file=sys.stderr)
    print(f"{nsolves} integer programmes in {time.time() - t0:.1f}s", file=sys.stderr)
    return findings, timeouts, bad


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("edition", help="an edition folder, e.g. output/2005Q1")
    ap.add_argument("--threshold", type=int, default=5)
    ap.add_argument("--time-limit", type=float, default=10.0, help="seconds per integer programme")
    ap.add_argument("--batches", type=int, default=20, help="rounds of batch solves before one solve per figure")
    ap.add_argument("--show", action="append", default=[],
                    help="also solve and print (stderr) the range of every unknown whose table,quarter,group,figure "
                         "contains this text (repeat to require several)")
    ap.add_argument("--declared-only", action="store_true",
                    help="leave out the relations between tables of different units that the metadata does not declare")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    if not os.path.isdir(os.path.join(args.edition, "public", "data")):
        print(f"no public/data under {args.edition}", file=sys.stderr)
        return 3
    t0 = time.time()
    # HiGHS prints a banner on stdout when created: keep stdout for the CSV.
    sys.stdout.flush()
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    ed = Edition(args.edition, load_metadata())
    m = build(ed, args.threshold, args)
    findings, timeouts, bad = solve(m, args)
    sys.stdout.flush()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["table", "quarter", "group", "figure", "min", "max"])
    for f in sorted(findings, key=lambda r: (r[0], r[3], r[2], r[1])):
        w.writerow(f)
    for k, why in timeouts:
        print(f"NOT DECIDED ({why}): {k}", file=sys.stderr)
    print(f"{len(findings)} findings, {len(timeouts)} not decided, {time.time() - t0:.1f}s in all", file=sys.stderr)
    out.flush()
    if bad or timeouts:
        return 2
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
