"""Figures for the terminal, rounded to what their band supports.

A mean over a few replications is known only to about its band: printing "3.71
±0.000791" or "61.9% ±0.0%" shows digits nobody can use. So the band's half-width is
rounded to one significant digit (two when that digit is 1: ±0.15 is not ±0.2), and the
mean to the same decimal place. A cell holds at most MAX_DIGITS significant digits: a
band narrower than that shows as "±<" one unit of the last digit shown. Without a band
(one replication, or the same figure in every one) numbers keep 3 significant digits.
Money is compact (K, M, B) so that many strategies fit side by side.
"""

import math

MAX_DIGITS = 4
SUFFIXES = ((1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "K"))   # from, divisor, suffix


def unit(mean: float, half: float, fmt: str) -> tuple[float, str]:
    """(divisor, suffix) of a figure: percent for percent formats, K/M/B for money."""
    if fmt.endswith("%"):
        return 0.01, "%"
    if fmt == "n":
        size = max(abs(mean), half)
        for threshold, divisor, suffix in SUFFIXES:
            if size >= threshold:
                return divisor, suffix
    return 1.0, ""


def plain(x: float, fmt: str) -> str:
    """A figure without a band: 3 significant digits (money compact, in whole units
    from 10 up; a percent format keeps its own precision)."""
    if fmt != "n":
        return format(x, fmt)
    size, suffix = unit(x, 0.0, fmt)
    if suffix:
        v = x / size
        return f"{v:.3g}{suffix}" if abs(v) < 100 else f"{v:,.0f}{suffix}"
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:.3g}"


def decimals(half: float) -> int:
    """Decimal place of a band's half-width at one significant digit (two when it
    starts with 1); negative: tens, hundreds..."""
    e = math.floor(math.log10(half))
    lead = round(half / 10.0 ** e, 1)
    if lead >= 10:                       # 9.96 rounds up to the next power of ten
        e, lead = e + 1, 1.0
    return (1 if lead < 2 else 0) - e


def fixed(x: float, places: int) -> str:
    """x rounded to `places` decimals (negative: to tens...), thousands separated."""
    v = round(x, places) + 0.0           # + 0.0: no "-0"
    return f"{v:,.{max(places, 0)}f}"


def banded(mean: float, half: float, fmt: str) -> tuple[str, str]:
    """(mean, band) texts of a figure with a band of half-width `half` > 0."""
    size, suffix = unit(mean, half, fmt)
    m, h = mean / size, half / size
    places = decimals(h)
    if m != 0:
        most = MAX_DIGITS - 1 - math.floor(math.log10(abs(m)))
        if places > most:
            return fixed(m, most) + suffix, f"<{fixed(10.0 ** -most, most)}{suffix}"
    return fixed(m, places) + suffix, fixed(h, places) + suffix
