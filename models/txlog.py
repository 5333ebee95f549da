"""Read a shop's transaction log (CSV or Parquet) into purchase days, chunk by chunk.

The buy-till-you-die models count *purchase days*: several orders by one customer on one
calendar day are merged into one transaction (values summed), as in Fader & Hardie's
RFM note and lifetimes. The rules applied to the raw rows, each reported in
`PurchaseDays.treatments` with its count:

* rows that repeat another row (same customer, date, amount and items) are kept as
  orders of that day, as the literature does (CDNOW has 21 such rows, and the published
  Gamma-Gamma fit counts them), unless `drop_duplicates` counts them once;
* a negative amount is a return, never a purchase: it is netted against the same
  customer's purchases of the same day, a day whose purchases are fully returned (net
  <= 0) is dropped, and returns on days without a purchase are left out (their total is
  reported);
* blank lines are skipped.
Anything else unreadable (a bad date, text in an amount, a missing id, a date in the
future, a file that is not text in the given encoding) stops the read with the row and
column. Large logs are read in chunks, kept as compact arrays in parts of the customers,
and merged part by part (models/txlog_merge.py), so a 1 GB log fits in well under 2 GB
of memory.
"""

from __future__ import annotations

import codecs
import hashlib
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from models.txlog_layout import (WHITESPACE, Layout, LogOptions, detect_date_format,
                                 resolve_layout, sample_lines)
from models.txlog_merge import (ParsedRows, PurchaseDays, bucket,
                                large_arrays_mapped, merge_days)
from scenarios.errors import InputError

CHUNK_ROWS = 500_000
PART_ROWS = 4_000_000
TEXT_ROW_BYTES = 24      # a short log line: sizes the customer parts before reading
BLOCK = 1 << 24


def read_log(path, opts: LogOptions | None = None, today: date | None = None) -> PurchaseDays:
    """Purchase days of the log at `path` (CSV/text or .parquet), or InputError."""
    opts = opts or LogOptions()
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise InputError(f"{label}: no such file")
    digest = _check_bytes(path, opts.encoding, label)
    limit = np.datetime64(today or date.today(), "D").astype(np.int64)
    parquet = path.suffix.lower() in (".parquet", ".pq")
    cols = ParsedRows(parts=max(1, -(-_expected_rows(path, parquet) // PART_ROWS)))
    chunks, layout = (_parquet_chunks(path, label) if parquet
                      else _text_chunks(path, opts, label))
    fmt = opts.date_format
    with large_arrays_mapped():
        for frame, first_row in chunks:
            fmt = fmt or _first_format(frame[layout.roles["date"]], first_row, layout,
                                       label)
            _parse(frame, first_row, layout, fmt, opts, limit, cols, label)
        if cols.rows - cols.blank == 0:
            raise InputError(f"{label}: the log has no transactions (only "
                             f"{'a header' if layout.header else 'blank lines'})")
        days = merge_days(cols, opts.drop_duplicates, layout)
    days.sha256 = digest
    return days


def _expected_rows(path: Path, parquet: bool) -> int:
    """The log's rows (Parquet) or an upper estimate from the file size (text)."""
    if parquet:
        import pyarrow.parquet as pq
        try:
            return int(pq.ParquetFile(path).metadata.num_rows)
        except Exception:   # a broken file is reported by the reader with its cause
            return 0
    return path.stat().st_size // TEXT_ROW_BYTES


def _check_bytes(path: Path, encoding: str, label: str) -> str:
    """SHA-256 of the file; for text, every byte must decode (error: line and byte)."""
    digest = hashlib.sha256()
    decoder = None
    if path.suffix.lower() not in (".parquet", ".pq"):
        try:
            decoder = codecs.getincrementaldecoder(encoding)()
        except LookupError:
            raise InputError(f"--encoding {encoding!r}: unknown encoding (e.g. utf-8, "
                             "cp1252, cp1251, latin-1)") from None
    lines, offset = 0, 0
    with open(path, "rb") as fh:
        while block := fh.read(BLOCK):
            digest.update(block)
            if decoder is not None:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as e:
                    at = e.start
                    line = lines + block[:max(0, at)].count(b"\n") + 1
                    bad = block[at] if 0 <= at < len(block) else 0
                    raise InputError(
                        f"{label}: line {line} (byte {offset + at}): byte {bad:#04x} is "
                        f"not {encoding} text: give the file's encoding with --encoding "
                        "(e.g. cp1252, cp1251, latin-1)") from None
                lines += block.count(b"\n")
            offset += len(block)
    return digest.hexdigest()


def _text_chunks(path: Path, opts: LogOptions, label: str):
    layout = resolve_layout(sample_lines(path, opts.encoding), opts, label)
    wanted = [c for c in dict.fromkeys(layout.roles.values()) if c]
    sep = r"\s+" if layout.delimiter == WHITESPACE else layout.delimiter
    reader = pd.read_csv(
        path, sep=sep, header=0 if layout.header else None,
        names=None if layout.header else layout.names, dtype=str,
        chunksize=CHUNK_ROWS, keep_default_na=False, na_values=[""],
        skip_blank_lines=False, encoding=opts.encoding, engine="c")

    def chunks():
        start = 2 if layout.header else 1
        try:
            for frame in reader:   # every column read: a stray field is an error
                yield frame[wanted], start
                start += len(frame)
        except pd.errors.ParserError as e:
            raise InputError(f"{label}: {str(e).strip().removeprefix('Error tokenizing data. C error: ')}"
                             "; every row needs the same columns") from None
    return chunks(), layout


def _parquet_chunks(path: Path, label: str):
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as e:   # pyarrow raises several types for a broken file
        raise InputError(f"{label}: not a readable Parquet file ({e})") from None
    names = list(pf.schema_arrow.names)
    layout = resolve_layout([",".join(names), ""], LogOptions(header=True,
                            delimiter=","), label) if names else None
    if layout is None:
        raise InputError(f"{label}: the Parquet file has no columns")
    wanted = [c for c in dict.fromkeys(layout.roles.values()) if c]

    def chunks():
        start = 1
        for batch in pf.iter_batches(batch_size=CHUNK_ROWS, columns=wanted):
            frame = batch.to_pandas()
            yield frame, start
            start += len(frame)
    return chunks(), layout


def _first_format(values: pd.Series, first_row: int, layout: Layout, label: str) -> str | None:
    if pd.api.types.is_datetime64_any_dtype(values):
        return None
    rows = pd.Series(np.arange(len(values)) + first_row, index=values.index)
    head = values.iloc[:5000]
    return detect_date_format(head, rows, layout.roles["date"], label)


def _bad(mask: np.ndarray, first_row: int, column: str, raw, label: str, what: str):
    i = int(np.flatnonzero(mask)[0])
    value = raw.iloc[i] if hasattr(raw, "iloc") else raw[i]
    shown = "an empty field" if value is None or (isinstance(value, float) and
                                                  np.isnan(value)) else repr(value)
    raise InputError(f"{label}: row {first_row + i}, column {column!r}: {shown} {what}")


def _parse(frame, first_row, layout, fmt, opts, limit, cols: ParsedRows, label) -> None:
    roles = layout.roles
    blank = frame.isna().all(axis=1).to_numpy()
    cols.rows += len(frame)
    cols.blank += int(blank.sum())
    if blank.any():
        frame = frame[~blank]
        offsets = np.flatnonzero(~blank)
    else:
        offsets = None
    row0 = first_row

    def where(mask):   # row numbers survive dropping blank lines
        return mask if offsets is None else _spread(mask, offsets, len(blank))

    cust = frame[roles["customer"]]
    missing = cust.isna().to_numpy()
    if missing.any():
        _bad(where(missing), row0, roles["customer"], _full(cust, offsets, len(blank)),
             label, "is not a customer id")
    parsed = {"key": pd.util.hash_array(cust.astype(str).str.strip().to_numpy(object)),
              "day": _days(frame[roles["date"]], fmt, limit, where, row0, roles["date"],
                           offsets, len(blank), label),
              "amount": _numbers(frame[roles["amount"]], opts.decimal, where, row0,
                                 roles["amount"], offsets, len(blank), label)}
    if roles.get("items"):
        parsed["items"] = _numbers(frame[roles["items"]], opts.decimal, where, row0,
                                   roles["items"], offsets, len(blank), label)
    bucket(cols, parsed)
    if roles.get("channel"):
        for name, n in frame[roles["channel"]].fillna("").astype(str).value_counts().items():
            cols.channels[name] = cols.channels.get(name, 0) + int(n)
    if roles.get("product"):
        hashed = pd.util.hash_array(frame[roles["product"]].astype(str).to_numpy(object))
        cols.products = np.union1d(cols.products, hashed)


def _spread(mask, offsets, n):
    out = np.zeros(n, dtype=bool)
    out[offsets] = mask
    return out


def _full(series, offsets, n):
    if offsets is None:
        return series
    out = np.full(n, None, dtype=object)
    out[offsets] = series.to_numpy(object)
    return out


def _days(raw, fmt, limit, where, row0, column, offsets, n, label) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(raw):
        stamps = raw
    else:
        stamps = pd.to_datetime(raw.str.strip(), format=fmt, errors="coerce")
    bad = stamps.isna().to_numpy()
    if bad.any():
        _bad(where(bad), row0, column, _full(raw, offsets, n), label,
             f"is not a date in the log's format ({fmt}, detected from the first rows; "
             "give --date-format if that is wrong)")
    days = stamps.to_numpy().astype("datetime64[D]").astype(np.int64)
    future = days > limit
    if future.any():
        _bad(where(future), row0, column, _full(raw, offsets, n), label,
             "is in the future: a log holds past transactions (check the date format)")
    return days.astype(np.int32)


def _numbers(raw, decimal, where, row0, column, offsets, n, label) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(raw):
        values = raw.to_numpy(dtype=np.float64)
    else:
        text = raw.str.strip()
        if decimal != ".":
            text = text.str.replace(".", "", regex=False).str.replace(decimal, ".",
                                                                      regex=False)
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        full = _full(raw, offsets, n)
        first = np.flatnonzero(where(bad))[0]
        value = full.iloc[first] if hasattr(full, "iloc") else full[first]
        comma = decimal == "." and isinstance(value, str) and "," in value
        _bad(where(bad), row0, column, full, label, "is not a number" +
             (" (a decimal comma? give --decimal ,)" if comma else ""))
    return values
