"""Transaction logs -> the BTYD (x, t_x, T, monetary value) summary.

The summary follows Fader & Hardie, "Creating an RFM Summary Using Excel"
(2008, brucehardie.com/notes/022/), which is how the CDNOW figures in Fader,
Hardie & Lee (2005a,b) were produced:

* a customer's first-ever purchase starts their clock and is not counted;
* several transactions by one customer on one calendar day are merged into
  a single transaction (values summed): the models tell a story about
  inter-purchase times and only dates are known, so a zero gap is not
  meaningful.  lifetimes' ``summary_data_from_transaction_data`` does the
  same by grouping on the day;
* x   = number of repeat (post-first) purchase days up to and including
        ``calibration_end``;
* t_x = time from the first purchase to the last purchase in the period;
* age = T in the literature: time from the first purchase to ``calibration_end``
        (named so it cannot be mistaken for pandas' transpose ``.T``);
* monetary_value = mean value of the x repeat transactions (0 when x == 0,
  as in the note's spreadsheet and in lifetimes).
"""

from __future__ import annotations

import os
from datetime import datetime

import numpy as np
import pandas as pd

__all__ = ["read_cdnow", "rfm_summary", "summarise_days"]

_CDNOW_FIELDS = "customer id, id in sample, date YYYYMMDD, number of CDs, dollar value"


def read_cdnow(path) -> pd.DataFrame:
    """Read the CDNOW sample/master text format.

    Whitespace-separated rows of: customer id, id in sample, date (YYYYMMDD),
    number of CDs, dollar value.  (The master file has no 'id in sample'
    column, so 4-column rows are accepted too.)  Returns a DataFrame with
    columns customer (int), date (datetime64), quantity (int), value (float),
    one row per input row, in file order.  A malformed row raises ValueError
    naming the file, the 1-based row number and the offending value.
    """
    name = os.fspath(path)
    customers, dates, quantities, values = [], [], [], []
    ncols = None
    with open(path, encoding="ascii", errors="replace") as fh:
        for lineno, line in enumerate(fh, start=1):
            fields = line.split()
            if not fields:
                continue
            where = f"{name}: row {lineno}"
            if len(fields) not in (4, 5) or (ncols is not None and len(fields) != ncols):
                want = ncols if ncols is not None else 5
                raise ValueError(
                    f"{where}: expected {want} whitespace-separated columns "
                    f"({_CDNOW_FIELDS}), got {len(fields)}: {line.strip()!r}"
                )
            ncols = len(fields)
            cust, date, qty, val = fields[0], fields[-3], fields[-2], fields[-1]
            try:
                customers.append(int(cust))
            except ValueError:
                raise ValueError(f"{where}: bad customer id {cust!r}") from None
            try:
                if len(date) != 8 or not date.isdigit():
                    raise ValueError
                dates.append(datetime.strptime(date, "%Y%m%d"))
            except ValueError:
                raise ValueError(f"{where}: bad date {date!r} (expected YYYYMMDD)") from None
            try:
                q = int(qty)
            except ValueError:
                raise ValueError(f"{where}: bad number of CDs {qty!r}") from None
            if q < 0:
                raise ValueError(f"{where}: negative number of CDs {qty!r}")
            quantities.append(q)
            try:
                v = float(val)
            except ValueError:
                raise ValueError(f"{where}: bad dollar value {val!r}") from None
            if not np.isfinite(v) or v < 0:
                raise ValueError(f"{where}: dollar value must be finite and >= 0, got {val!r}")
            values.append(v)
    return pd.DataFrame({
        "customer": np.asarray(customers, dtype=np.int64),
        "date": pd.to_datetime(pd.Series(dates, dtype="datetime64[ns]")),
        "quantity": np.asarray(quantities, dtype=np.int64),
        "value": np.asarray(values, dtype=float),
    })


def _check_tx(tx: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("customer", "date", "value") if c not in tx.columns]
    if missing:
        raise ValueError(f"tx is missing column(s) {missing}; has {list(tx.columns)}")
    if tx["customer"].isna().any():
        row = tx.index[tx["customer"].isna().to_numpy()][0]
        raise ValueError(f"tx row {row!r}: missing customer id")
    raw_dates = tx["date"]
    dates = pd.to_datetime(raw_dates, errors="coerce")
    bad = dates.isna().to_numpy()
    if bad.any():
        row = tx.index[bad][0]
        raise ValueError(f"tx row {row!r}: bad date {raw_dates.loc[row]!r}")
    raw_values = tx["value"]
    values = pd.to_numeric(raw_values, errors="coerce")
    bad = (values.isna() | ~np.isfinite(values.fillna(0)) | (values < 0)).to_numpy()
    if bad.any():
        row = tx.index[bad][0]
        raise ValueError(f"tx row {row!r}: value must be a finite number >= 0, got {raw_values.loc[row]!r}")
    return pd.DataFrame({"customer": tx["customer"].to_numpy(),
                         "date": dates.dt.normalize().to_numpy(),
                         "value": values.to_numpy(dtype=float)})


def rfm_summary(tx: pd.DataFrame, calibration_end, time_unit_days: float = 7) -> pd.DataFrame:
    """Per-customer BTYD summary of transactions up to ``calibration_end`` (inclusive).

    ``tx`` needs columns customer, date, value (e.g. from :func:`read_cdnow`).
    Customers whose first purchase falls after ``calibration_end`` are not
    yet in the cohort and are left out.  Times are in units of
    ``time_unit_days`` days (weeks by default, as in FHL 2005a, where the
    CDNOW calibration period 1997-01-01..1997-09-30 gives an age of 272/7 = 38.86
    for a 1 January customer).

    Returns a DataFrame indexed by customer with columns x (int), t_x, age (the
    literature's T, named so it cannot be mistaken for pandas' transpose),
    monetary_value; see the module docstring for the definitions.
    """
    unit = _unit(time_unit_days)
    try:
        end = pd.Timestamp(calibration_end)
    except (TypeError, ValueError):
        raise ValueError(f"calibration_end is not a date: {calibration_end!r}") from None
    if pd.isna(end):
        raise ValueError(f"calibration_end is not a date: {calibration_end!r}")
    end = end.normalize()

    clean = _check_tx(tx)
    # one transaction per customer-day, values summed (FH 2008 note, step 3)
    daily = clean.groupby(["customer", "date"], sort=True, as_index=False)["value"].sum()
    codes, ids = pd.factorize(daily["customer"], sort=True)
    days = daily["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    end_day = int(np.datetime64(end.date(), "D").astype(np.int64))
    if not (days <= end_day).any():
        raise ValueError(f"tx has no transactions on or before calibration_end={end.date()}")
    out = summarise_days(codes, days, daily["value"].to_numpy(float), end_day, unit)
    out.index = pd.Index(np.asarray(ids)[out.index.to_numpy()], name="customer")
    return out.drop(columns="first_day")


def _unit(time_unit_days) -> float:
    unit = float(time_unit_days)
    if not np.isfinite(unit) or unit <= 0:
        raise ValueError(f"time_unit_days must be a finite number > 0, got {time_unit_days!r}")
    return unit


SUMMARY_BLOCK_ROWS = 4_000_000


def summarise_days(customer, day, value, end_day: int, time_unit_days: float) -> pd.DataFrame:
    """BTYD summary of purchase days (one row per customer and day, sorted by customer
    then day; `day` in days since 1970) up to and including `end_day`.

    Returns a DataFrame indexed by customer with x, t_x, age, monetary_value (as in
    :func:`rfm_summary`) and first_day; customers first seen after `end_day` are left
    out. Customers are summarised in blocks of about SUMMARY_BLOCK_ROWS rows, so the
    temporaries stay a fraction of a large log's purchase days.
    """
    unit = _unit(time_unit_days)
    customer, day = np.asarray(customer), np.asarray(day)
    value = np.asarray(value, dtype=float)
    cuts = [0]
    while cuts[-1] + SUMMARY_BLOCK_ROWS < customer.size:
        at = cuts[-1] + SUMMARY_BLOCK_ROWS   # move the cut to the next customer's start
        later = customer[at:] != customer[at - 1]
        at += int(np.argmax(later)) if later.any() else later.size
        cuts.append(at)
    cuts.append(customer.size)
    blocks = [_summarise_block(customer[a:b], day[a:b], value[a:b], end_day, unit)
              for a, b in zip(cuts[:-1], cuts[1:])]
    return blocks[0] if len(blocks) == 1 else pd.concat(blocks)


def _summarise_block(customer, day, value, end_day: int, unit: float) -> pd.DataFrame:
    inside = day <= end_day
    customer, day, value = customer[inside], day[inside], value[inside]
    starts = np.flatnonzero(np.concatenate(([True], customer[1:] != customer[:-1])))
    first = day[starts]
    last = np.maximum.reduceat(day, starts) if day.size else day
    counts = np.diff(np.append(starts, day.size))
    x = counts - 1
    repeat_value = np.add.reduceat(value, starts) - value[starts] if day.size else value
    out = pd.DataFrame({
        "x": x.astype(np.int64),
        "t_x": (last - first) / unit,
        "age": (end_day - first) / unit,
        "monetary_value": np.where(x > 0, repeat_value / np.maximum(x, 1), 0.0),
        "first_day": first.astype(np.int64),
    }, index=pd.Index(customer[starts], name="customer"))
    return out
