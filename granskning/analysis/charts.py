"""Charts for reports and slides: stacked bars, funnel plots, girls and boys.

Figures are drawn with matplotlib's object interface on the Agg canvas (no
pyplot, no global state, no display needed) and saved as PNG, SVG or PDF by
the file suffix.  Axis numbers use Swedish decimal commas and "%".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from granskning.errors import InputError
from granskning.files import atomic_write, make_directory
from granskning.fmt import tal

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from granskning.analysis.funnel import Funnel
    from granskning.analysis.gender import GenderResult, SexWords

FORMATS = (".png", ".svg", ".pdf")
# Colour-blind-safe palette (Okabe & Ito 2008).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


def _percent_axis(axis) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{tal(100 * v, 0)} %"))


def _new_figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=150, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save(fig: Figure, path: str | Path) -> Path:
    """Save ``fig`` as PNG, SVG or PDF by the suffix of ``path`` and return the path."""
    import matplotlib

    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise InputError(f"okänt bildformat {path.suffix!r}; välj bland {', '.join(FORMATS)}.", file=path)
    make_directory(path.parent)
    with matplotlib.rc_context({"svg.fonttype": "none", "pdf.fonttype": 42}):
        # all or nothing, with a Swedish message for a full or read-only disk
        atomic_write(path, lambda tmp: fig.savefig(tmp, format=path.suffix.lower().lstrip(".")))
    return path


def stacked_bars_figure(shares: pd.DataFrame, *, title: str | None = None, total_label: str = "Total") -> Figure:
    """Return a figure with one stacked bar per stratum from a :func:`crosstab_shares` table."""
    body = shares.drop(index=total_label, errors="ignore")
    strata = list(body.columns)
    fig = _new_figure(max(6.0, 0.7 * len(strata) + 2.5), 4.5)
    ax = fig.add_subplot()
    bottom = [0.0] * len(strata)
    for i, (category, row) in enumerate(body.iterrows()):
        values = [0.0 if v != v else float(v) for v in row.to_numpy()]  # NaN (empty stratum) as 0
        ax.bar(strata, values, bottom=bottom, label=str(category), color=PALETTE[i % len(PALETTE)],
               edgecolor="white", linewidth=0.5)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    _percent_axis(ax.yaxis)
    ax.set_ylim(0, max(1.0, max(bottom, default=1.0)))
    ax.tick_params(axis="x", labelrotation=45)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, title=body.index.name)
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title)
    return fig


def stacked_bars(shares: pd.DataFrame, path: str | Path, *, title: str | None = None,
                 total_label: str = "Total") -> Path:
    """Draw :func:`stacked_bars_figure` and save it; returns the path."""
    return save(stacked_bars_figure(shares, title=title, total_label=total_label), path)


def funnel_figure(f: Funnel, *, title: str | None = None, ylabel: str = "Andel") -> Figure:
    """Return a funnel plot: rate against denominator with the centre line and limits."""
    fig = _new_figure(7.0, 4.8)
    ax = fig.add_subplot()
    curve = f.curve()
    styles = {0: ("#555555", "--"), 1: ("#555555", ":")}
    for i, level in enumerate(f.levels):
        part = curve[curve["level"] == level]
        colour, dash = styles.get(i, ("#999999", "-."))
        label = f"{tal(100 * level, 1 if (100 * level) % 1 else 0)} %-gräns"
        ax.plot(part["denominator"], part["lower"], color=colour, linestyle=dash, linewidth=1, label=label)
        ax.plot(part["denominator"], part["upper"], color=colour, linestyle=dash, linewidth=1)
    ax.axhline(f.centre, color="#000000", linewidth=1, label=f"Genomsnitt {tal(100 * f.centre, 1)} %")
    pts = f.points[f.points["level"] == f.levels[0]]
    pts = pts[pts["denominator"] > 0]
    ax.scatter(pts["denominator"], pts["rate"], color=PALETTE[0], zorder=3, s=25)
    for r in pts.itertuples(index=False):
        ax.annotate(r.stratum, (r.denominator, r.rate), xytext=(4, 3), textcoords="offset points", fontsize=7)
    _percent_axis(ax.yaxis)
    ax.set_ylim(0, 1)
    ax.set_xlim(0, max(1, int(pts["denominator"].max() if len(pts) else 1)) * 1.08)
    ax.set_xlabel("Antal ärenden i nämnaren")
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title)
    return fig


def funnel_plot(f: Funnel, path: str | Path, *, title: str | None = None, ylabel: str = "Andel") -> Path:
    """Draw :func:`funnel_figure` and save it; returns the path."""
    return save(funnel_figure(f, title=title, ylabel=ylabel), path)


def gender_figure(results: Mapping[str, GenderResult], *, title: str | None = None,
                  words: SexWords | None = None) -> Figure:
    """Return a dot chart of girls' and boys' rates with intervals, one row per indicator.

    The legend says what the data say (``words``; default the results' own:
    flickor/pojkar for children, kvinnor/män for adults).
    """
    names = list(results)
    if words is None:
        words = next(iter(results.values())).words if results else None
    female, male = (words.female, words.male) if words is not None else ("flickor", "pojkar")
    fig = _new_figure(7.0, max(2.5, 0.6 * len(names) + 1.5))
    ax = fig.add_subplot()
    for offset, attr, label, colour in ((-0.15, "girls", female[:1].upper() + female[1:], PALETTE[1]),
                                        (0.15, "boys", male[:1].upper() + male[1:], PALETTE[0])):
        ys, xs, lo, hi = [], [], [], []
        for i, name in enumerate(names):
            p = getattr(results[name], attr)
            if p.nobs == 0:
                continue
            ys.append(i + offset)
            xs.append(p.estimate)
            lo.append(p.estimate - p.low)
            hi.append(p.high - p.estimate)
        ax.errorbar(xs, ys, xerr=[lo, hi], fmt="o", color=colour, label=label, capsize=3)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    _percent_axis(ax.xaxis)
    ax.legend(frameon=False, loc="lower right")
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title)
    return fig


def gender_plot(results: Mapping[str, GenderResult], path: str | Path, *, title: str | None = None,
                words: SexWords | None = None) -> Path:
    """Draw :func:`gender_figure` and save it; returns the path."""
    return save(gender_figure(results, title=title, words=words), path)


def box_figure(values: Mapping[str, Sequence[float]], *, title: str | None = None, xlabel: str = "Värde",
               threshold: float | None = None, threshold_label: str | None = None,
               dots: bool = True) -> Figure:
    """Return one horizontal box per stratum: quartiles (type 7), whiskers to min and max, mean as ◆.

    ``values`` maps each stratum (top to bottom) to its numbers; a stratum without
    values gets no box.  ``dots`` adds every value as a jittered point (leave it
    out when small strata must not show single cases); ``threshold`` draws the
    checklist's ``troskel`` as a dashed line.
    """
    import numpy as np
    from matplotlib.ticker import FuncFormatter

    names = list(values)
    fig = _new_figure(7.0, max(2.0, 0.8 + 0.38 * len(names)))
    ax = fig.add_subplot()
    positions = np.arange(len(names), 0, -1)
    data = [np.asarray(values[n], dtype=float) for n in names]
    drawn = [(p, d) for p, d in zip(positions, data, strict=True) if d.size]
    if drawn:
        ax.boxplot([d for _, d in drawn], positions=[p for p, _ in drawn], orientation="horizontal",
                   whis=(0, 100), widths=0.55, showfliers=False, patch_artist=True,
                   boxprops={"facecolor": "#DCE9F5", "edgecolor": PALETTE[0]},
                   medianprops={"color": PALETTE[5], "linewidth": 2},
                   whiskerprops={"color": PALETTE[0]}, capprops={"color": PALETTE[0]})
        ax.scatter([float(d.mean()) for _, d in drawn], [p for p, _ in drawn], marker="D", s=22,
                   color=PALETTE[7], zorder=3, label="medelvärde")
        if dots:
            rng = np.random.default_rng(1)  # the same jitter every time
            for p, d in drawn:
                ax.scatter(d, p + rng.uniform(-0.18, 0.18, d.size), s=8, color=PALETTE[0], alpha=0.45,
                           linewidths=0, zorder=2)
    if threshold is not None:
        ax.axvline(threshold, color=PALETTE[1], linestyle="--", linewidth=1.2,
                   label=f"tröskel: {threshold_label}" if threshold_label else "tröskel")
    ax.set_yticks(positions, names)
    ax.set_ylim(0.4, len(names) + 0.6)
    ax.set_xlabel(xlabel)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: tal(v, 0 if float(v).is_integer() else 1)))
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.6)
    ax.set_axisbelow(True)
    if drawn or threshold is not None:
        ax.legend(loc="lower right", fontsize=7, frameon=False)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def box_plot(values: Mapping[str, Sequence[float]], path: str | Path, **options) -> Path:
    """Draw :func:`box_figure` and save it by the suffix of ``path``."""
    return save(box_figure(values, **options), path)
