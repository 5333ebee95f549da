"""Reading transaction logs (models/txlog.py, models/txlog_layout.py) and the health
report (models/health.py), on small logs whose right answers are counted by hand."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models import txlog
from models.health import health_report
from models.transactions import read_cdnow, rfm_summary, summarise_days
from models.txlog import read_log
from models.txlog_layout import LogOptions
from scenarios.errors import InputError

CDNOW = Path(__file__).resolve().parents[1] / "data" / "CDNOW_sample.txt"
LOG = """customer_id,date,amount,qty
a,2024-01-05,10,1
a,2024-01-05,5,2
a,2024-02-01,20,1
b,2024-01-10,30,3
b,2024-01-10,-30,-3
b,2024-03-01,8,1
c,2024-01-20,7,1
c,2024-01-20,7,1
c,2024-02-20,-4,-1
"""


def day(text):
    return int(np.datetime64(text, "D").astype(np.int64))


def write(tmp_path, text, name="log.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def frame(d):
    return pd.DataFrame({"customer": d.customer, "day": d.day, "value": d.value,
                         "orders": d.orders})


def test_rules_merge_same_day_net_returns_and_say_so(tmp_path):
    d = read_log(write(tmp_path, LOG))
    got = frame(d)
    # a: two orders on 01-05 merged (15), 02-01; b: 01-10 fully returned -> dropped,
    # 03-01 kept; c: the repeated row is two orders (14); the return of 02-20 has no
    # purchase that day and is left out
    assert got.values.tolist() == [[0, day("2024-01-05"), 15.0, 2], [0, day("2024-02-01"), 20.0, 1],
                                   [1, day("2024-03-01"), 8.0, 1], [2, day("2024-01-20"), 14.0, 2]]
    assert d.items.tolist() == [3.0, 1.0, 1.0, 2.0]
    notes = " | ".join(d.treatments)
    assert "2 orders merged" in notes and "1 rows repeat another row" in notes
    assert "2 returns" in notes and "1 purchase days fully returned" in notes
    assert "1 return days without a purchase" in notes
    dropped = read_log(write(tmp_path, LOG), LogOptions(drop_duplicates=True))
    assert frame(dropped)["value"].tolist() == [15.0, 20.0, 8.0, 7.0]


def test_semicolons_day_first_dates_decimal_comma_and_named_columns(tmp_path):
    text = "kunde;datum;summe\nx;05.01.2024;10,5\nx;06.02.2024;1.200,25\ny;07.01.2024;3\n"
    d = read_log(write(tmp_path, text), LogOptions(
        columns={"customer": "kunde", "date": "datum", "amount": "3"}, decimal=","))
    assert frame(d)[["day", "value"]].values.tolist() == [
        [day("2024-01-05"), 10.5], [day("2024-02-06"), 1200.25], [day("2024-01-07"), 3.0]]


def test_parquet_and_chunks_read_like_one_csv(tmp_path, monkeypatch):
    path = write(tmp_path, LOG)
    whole = frame(read_log(path))
    table = pd.read_csv(path)
    table.to_parquet(tmp_path / "log.parquet")
    assert frame(read_log(tmp_path / "log.parquet")).equals(whole)
    monkeypatch.setattr(txlog, "CHUNK_ROWS", 2)
    assert frame(read_log(path)).equals(whole)
    monkeypatch.setattr(txlog, "PART_ROWS", 3)    # customers merged in parts: the same
    parted = read_log(path)                       # days, customers numbered part by part
    assert parted.customers == 3 and parted.treatments == read_log(tmp_path / "log.parquet").treatments

    def days_of(d):
        f = frame(d)
        return sorted(map(tuple, f.groupby("customer")[["day", "value", "orders"]]
                          .apply(lambda g: tuple(map(tuple, g.to_numpy()))).to_list()))
    assert days_of(parted) == days_of(read_log(tmp_path / "log.parquet"))
    bad = LOG + "d,2024-02-30,5,1\n"   # row 11, in the sixth chunk
    with pytest.raises(InputError, match=r"row 11, column 'date': '2024-02-30'"):
        read_log(write(tmp_path, bad, "bad.csv"))


def test_headerless_cdnow_layout_is_guessed_and_summarised_as_the_literature(tmp_path):
    d = read_log(CDNOW)
    assert d.rows == 6919 and d.customers == 2357 and d.items is not None
    end = day("1997-09-30")
    ours = summarise_days(d.customer, d.day, d.value, end, 7)
    theirs = rfm_summary(read_cdnow(CDNOW), "1997-09-30")
    assert "T" not in ours.columns and "age" in ours.columns
    cols = ["x", "t_x", "age", "monetary_value"]

    def rows(f):   # customers are coded in file order here, by id there
        a = f[cols].to_numpy()
        return a[np.lexsort(a.T[::-1])]
    np.testing.assert_allclose(rows(ours), rows(theirs))


@pytest.mark.parametrize("block_rows", [1, 2, 7, 1000])
def test_summary_in_customer_blocks_equals_the_whole(monkeypatch, block_rows):
    from models import transactions
    d = read_log(CDNOW)
    end = int(np.datetime64("1997-09-30", "D").astype(np.int64))
    whole = summarise_days(d.customer, d.day, d.value, end, 7)
    monkeypatch.setattr(transactions, "SUMMARY_BLOCK_ROWS", block_rows)
    assert summarise_days(d.customer, d.day, d.value, end, 7).equals(whole)


def test_health_report_by_hand(tmp_path):
    d = read_log(write(tmp_path, LOG))
    h = health_report(d.customer, d.day, d.value, d.orders, d.items, day("2024-03-31"))
    k = h["kpis"]
    assert k["customers"] == 3 and k["purchase_days"] == 4
    assert k["one_time_share"] == pytest.approx(2 / 3)          # b and c bought once
    assert k["avg_check_new"] == pytest.approx((15 + 8 + 14) / 3)
    assert k["avg_check_repeat"] == pytest.approx(20.0)
    assert k["items_per_check"] == pytest.approx(7 / 6)
    # month pairs: a bought in Jan and Feb (1 of Jan's 2 buyers again in Feb); Feb's
    # buyer a not in Mar; Mar is the last month
    assert k["survival_rate"] == pytest.approx(1 / 3)
    assert [m["new_customers"] for m in h["inflow_by_month"]] == [2, 1]
    assert sum(s["customers"] for s in h["rfm_segments"]) == 3
    assert h["cohorts"]["retention"][0][:2] == [1.0, 0.5]
