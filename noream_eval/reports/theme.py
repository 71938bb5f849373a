"""The look of every report figure: colour-blind-safe colours, fonts and sizes.

Nothing here changes matplotlib when imported. :func:`theme` applies the
settings for the duration of a ``with`` block (the report's figure registry
uses it); :func:`use_theme` applies them for the rest of a notebook session.

Colours come from the Okabe-Ito palette (Okabe & Ito 2008), which stays
distinguishable with the common colour-vision deficiencies, plus one neutral
grey. Each cohort has a fixed colour, so a cohort looks the same in every
figure.

References
----------
Okabe M, Ito K (2008). Color Universal Design (CUD): how to make figures and
presentations that are friendly to colorblind people. J*FLY.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any

__all__ = [
    "COHORT_COLOURS",
    "COHORT_LABELS",
    "FONT_SIZE",
    "FULL_WIDTH",
    "NEUTRAL",
    "OKABE_ITO",
    "PALETTE",
    "RATING_COLOURS",
    "RC_PARAMS",
    "theme",
    "use_theme",
]

#: The eight Okabe-Ito colours, by name.
OKABE_ITO: Mapping[str, str] = MappingProxyType(
    {
        "black": "#000000",
        "orange": "#E69F00",
        "sky_blue": "#56B4E9",
        "bluish_green": "#009E73",
        "yellow": "#F0E442",
        "blue": "#0072B2",
        "vermillion": "#D55E00",
        "reddish_purple": "#CC79A7",
    }
)

#: Neutral grey for reference lines, shading and "no change".
NEUTRAL = "#999999"

#: Every colour a figure may use (white aside), upper-case hex.
PALETTE: tuple[str, ...] = (*OKABE_ITO.values(), NEUTRAL)

#: Fixed colour of each cohort (and of ``all``).
COHORT_COLOURS: Mapping[str, str] = MappingProxyType(
    {
        "noream": OKABE_ITO["blue"],
        "comparison": OKABE_ITO["vermillion"],
        "not_enrolled": OKABE_ITO["bluish_green"],
        "all": OKABE_ITO["black"],
    }
)

#: Plain-English cohort names for legends.
COHORT_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "noream": "NOREAM programme",
        "comparison": "Comparison",
        "not_enrolled": "Referred, not enrolled",
        "all": "All families",
    }
)

#: Colour of each evidence-of-promise rating (by its first words).
RATING_COLOURS: Mapping[str, str] = MappingProxyType(
    {
        "Evidence of promise": OKABE_ITO["bluish_green"],
        "Indicative": OKABE_ITO["sky_blue"],
        "No evidence of change": NEUTRAL,
        "Change in the unexpected direction": OKABE_ITO["vermillion"],
        "Insufficient data": OKABE_ITO["black"],
    }
)

#: Width of a full-width figure on an A4 page with 2.54 cm margins, inches.
FULL_WIDTH = 6.3

#: Base font size in points (tick labels and legends are 8 pt).
FONT_SIZE = 9.0

#: The settings :func:`theme` applies.
RC_PARAMS: Mapping[str, Any] = MappingProxyType(
    {
        "font.family": "sans-serif",
        "font.sans-serif": ["DejaVu Sans"],
        "font.size": FONT_SIZE,
        "axes.titlesize": FONT_SIZE,
        "axes.titleweight": "bold",
        "axes.titlelocation": "left",
        "axes.labelsize": FONT_SIZE,
        "axes.linewidth": 0.6,
        "axes.edgecolor": OKABE_ITO["black"],
        "axes.labelcolor": OKABE_ITO["black"],
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": False,
        "axes.axisbelow": True,
        "xtick.labelsize": 8.0,
        "ytick.labelsize": 8.0,
        "xtick.major.width": 0.6,
        "ytick.major.width": 0.6,
        "xtick.minor.width": 0.4,
        "ytick.minor.width": 0.4,
        "xtick.major.size": 3.0,
        "ytick.major.size": 3.0,
        "xtick.minor.size": 1.5,
        "ytick.minor.size": 1.5,
        "xtick.color": OKABE_ITO["black"],
        "ytick.color": OKABE_ITO["black"],
        "text.color": OKABE_ITO["black"],
        "legend.fontsize": 8.0,
        "legend.frameon": False,
        "legend.handlelength": 1.6,
        "legend.borderaxespad": 0.3,
        "lines.linewidth": 1.4,
        "lines.markersize": 4.0,
        "patch.linewidth": 0.6,
        "errorbar.capsize": 0.0,
        "figure.dpi": 100,
        "figure.facecolor": "white",
        "figure.constrained_layout.use": True,
        "savefig.dpi": 300,
        "savefig.facecolor": "white",
        "svg.fonttype": "none",
        "svg.hashsalt": "noream_eval",
        "pdf.fonttype": 42,
    }
)


def _rc() -> dict[str, Any]:
    from cycler import cycler

    return {**RC_PARAMS, "axes.prop_cycle": cycler(color=list(OKABE_ITO.values())[1:])}


@contextmanager
def theme() -> Iterator[None]:
    """Apply the report theme inside a ``with`` block.

    Figures (and their text) made inside the block take the theme; the
    previous settings come back afterwards.

    Examples
    --------
    >>> import matplotlib
    >>> before = matplotlib.rcParams["font.size"]
    >>> with theme():
    ...     matplotlib.rcParams["font.size"]
    9.0
    >>> matplotlib.rcParams["font.size"] == before
    True
    """
    import matplotlib

    with matplotlib.rc_context(_rc()):
        yield


def use_theme() -> None:
    """Apply the report theme for the rest of the session (e.g. a notebook).

    Examples
    --------
    >>> import matplotlib
    >>> with matplotlib.rc_context():
    ...     use_theme()
    ...     matplotlib.rcParams["svg.fonttype"]
    'none'
    """
    import matplotlib

    matplotlib.rcParams.update(_rc())
