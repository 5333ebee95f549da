"""Terminal figures are rounded to what their band supports: the band to one significant
digit (two when it starts with 1), the mean to the band's decimal place, never more
than four significant digits in a cell."""

import math
import re

import numpy as np
import pytest
from rich.console import Console

from apps.figures import MAX_DIGITS, banded, plain
from apps.tables import _cell, summary_table
from models.comparison import NO_INVESTMENT


@pytest.mark.parametrize("mean, half, fmt, expected", [
    (3.71, 0.000791, ".3g", ("3.710", "<0.001")),         # was "3.71 ±0.000791"
    (0.619, 0.0004, ".1%", ("61.90%", "0.04%")),          # was "61.9% ±0.0%"
    (0.619, 0.00004, ".1%", ("61.90%", "<0.01%")),
    (0.5, 0.031, ".1%", ("50%", "3%")),
    (0.5, 0.0162, ".1%", ("50.0%", "1.6%")),
    (2.4537, 0.37, ".0%", ("250%", "40%")),               # ROMI
    (12_345_678, 234_567, "n", ("12.3M", "0.2M")),
    (12_345_678, 1_534_567, "n", ("12.3M", "1.5M")),
    (12_345, 1_234, "n", ("12.3K", "1.2K")),
    (1234.5, 300.0, "n", ("1,200", "300")),
    (-0.04, 3.0, "n", ("0", "3")),                         # no "-0"
    (7.2, 0.96, ".3g", ("7.2", "1.0")),                    # 0.96 rounds up to 1.0
    (9_315_917_450, 48_000_000, "n", ("9.32B", "0.05B")),
])
def test_mean_and_band_rounded_to_the_bands_digit(mean, half, fmt, expected):
    assert banded(mean, half, fmt) == expected


def significant(text: str) -> str:
    """The significant digits of a figure ("0.040" -> "40", "400M" -> "4")."""
    number = re.sub(r"[^0-9.]", "", text)
    digits = number.replace(".", "").lstrip("0")
    return digits if "." in number else digits.rstrip("0")


@pytest.mark.parametrize("seed", range(3))
def test_no_cell_shows_digits_its_band_cannot_support(seed):
    rng = np.random.default_rng(seed)
    for _ in range(300):
        mean = float(rng.choice([-1, 1]) * 10 ** rng.uniform(-3, 10))
        half = float(10 ** rng.uniform(-6, 10))
        fmt = str(rng.choice(["n", ".1%", ".3g", ".0%"]))
        m, band = banded(mean, half, fmt)
        assert len(significant(m)) <= MAX_DIGITS, (mean, half, fmt, m)
        if band.startswith("<"):                            # narrower than the last digit
            continue
        assert 1 <= len(significant(band)) <= 2, (mean, half, fmt, band)
        # the mean has exactly the band's decimals (both in the same unit)
        dec = [len(t.split(".")[1]) if "." in t else 0 for t in (m, band)]
        assert dec[0] == dec[1], (mean, half, fmt, m, band)
        # and the rounded band is within a rounding step of the true one
        value = float(re.sub(r"[^0-9.]", "", band))
        scale = {"%": 100, "K": 1e-3, "M": 1e-6, "B": 1e-9}.get(band[-1], 1)
        assert math.isclose(value, half * scale, rel_tol=0.34), (half, band)


def test_without_a_band_three_significant_digits():
    assert plain(3.7149, ".3g") == "3.71"
    assert plain(12_345_678, "n") == "12.3M"
    assert plain(0.6194, ".1%") == "61.9%"


def test_cells_show_bands_and_say_why_a_free_lever_has_no_romi():
    assert _cell({"mean": 3.71, "lo": 3.71 - 0.000791, "hi": 3.71 + 0.000791}, ".3g") \
        == "3.710\n[dim]±<0.001[/]"
    assert _cell({"mean": 3.71, "lo": 3.71, "hi": 3.71}, ".3g") == "3.71"
    none = {"mean": None, "lo": None, "hi": None}
    assert _cell({**none, "note": NO_INVESTMENT}, ".0%") == "free lever"
    assert _cell(none, ".0%") == "-"


def test_a_table_has_no_noise_digits():
    stat = {"mean": 0.619, "lo": 0.619 - 0.0004, "hi": 0.619 + 0.0004}
    doc = {"scenario": "s", "customers": 10, "days": 10, "reps": 5, "band": "p05-p95",
           "currency": "RUB",
           "strategies": {"baseline": {"retention_rate": stat},
                          "lever": {"retention_rate": stat, "vs_baseline": {
                              "romi": {**{"mean": None, "lo": None, "hi": None},
                                       "note": NO_INVESTMENT}}}}}
    console = Console(record=True, width=200)
    console.print(summary_table(doc))
    text = console.export_text()
    assert "±0.04%" in text and "61.90%" in text and "±0.0%" not in text
    assert "free lever" in text
