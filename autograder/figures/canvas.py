"""Drawing a figure: matplotlib's Agg canvas (no pyplot, no display, no global figure list), a
colour-blind-safe palette, student text drawn as plain text, and a PNG within a size cap.

The palette is Okabe and Ito's (distinguishable with every common colour-vision deficiency),
and the student's series never differs from the right one by colour alone: it is dashed with
round markers where the right one is solid. Every text is drawn with `text.parse_math` off, so
a `$` in anything the student wrote is a dollar sign, never mathtext; control characters are
removed and long strings cut.
"""

from __future__ import annotations

import contextlib
import io

# Okabe-Ito
YOURS = "#D55E00"  # vermillion: the student's answer
RIGHT = "#0072B2"  # blue: the right one
CLASS_A = "#009E73"  # bluish green: one class of data points (genuine notes)
CLASS_B = "#E69F00"  # orange: the other (fake notes)
OTHER = "#CC79A7"  # reddish purple: a limit, a threshold
GREY = "#7f7f7f"

YOURS_STYLE = {"color": YOURS, "linestyle": "--", "marker": "o", "markersize": 4, "linewidth": 1.8}
RIGHT_STYLE = {"color": RIGHT, "linestyle": "-", "linewidth": 2.0}

YOUR_LABEL = "yours"
RIGHT_LABEL = "right"

FIGURE_BYTES = 60_000  # one figure's PNG at most: larger ones are drawn again smaller, then left out
DPIS = (80, 60, 45)


class TooLarge(ValueError):
    """The figure does not fit its size cap even at the smallest resolution."""


def plain_text(text, limit: int = 80) -> str:
    """A string safe to draw: printable characters only, one line, at most `limit` characters."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(text))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def settings():
    """The drawing settings every figure is made under: plain text, no TeX, small fonts."""
    import matplotlib

    return matplotlib.rc_context({
        "text.parse_math": False, "text.usetex": False, "font.size": 8, "axes.titlesize": 9,
        "legend.fontsize": 7, "axes.spines.top": False, "axes.spines.right": False,
        "svg.fonttype": "none", "figure.max_open_warning": 0,
        # A title at a fixed height: placing it above whatever the axes draw on top (there is
        # nothing) costs a quarter of a figure's drawing time.
        "axes.titley": 1.0,
    })


def figure(width: float = 4.6, height: float = 2.9, panels: int = 1):
    """(figure, [axes]) on an Agg canvas, `panels` side by side."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    # Fixed margins, not a layout engine: constrained layout draws every figure twice.
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.6 / width, right=1 - 0.15 / width, bottom=0.5 / height, top=1 - 0.3 / height,
                        wspace=0.45)
    axes = [fig.add_subplot(1, panels, i + 1) for i in range(panels)]
    for ax in axes:  # at most 5 ticks an axis (a kind may set its own): each label is a third of a ms to draw
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
    return fig, axes


def png(fig, cap: int = FIGURE_BYTES) -> bytes:
    """The PNG of `fig`, at the largest resolution of DPIS that keeps it under `cap` bytes."""
    for dpi in DPIS:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
        data = buffer.getvalue()
        if len(data) <= cap:
            return data
    raise TooLarge(f"the figure is {len(data):,} bytes even at {DPIS[-1]} dpi, over the cap of {cap:,}")


def note(ax, text: str, y: float = 0.5) -> None:
    """A line of (possibly student) text inside the axes, drawn as plain text."""
    ax.text(0.5, y, plain_text(text, 90), transform=ax.transAxes, ha="center", va="center", fontsize=7,
            color=GREY, wrap=True, parse_math=False)


def legend(ax) -> None:
    with contextlib.suppress(Exception):
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="best", frameon=False)
