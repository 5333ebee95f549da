"""Where the fields of a transaction log are: delimiter, header, columns, date format.

A shop's export rarely matches a fixed layout, so the layout is detected from the first
rows and every guess is reported; flags override each guess. Detection reads a small
sample, never the whole file.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

import pandas as pd

from scenarios.errors import InputError

ROLES = ("customer", "date", "amount", "items", "product", "channel")
REQUIRED = ("customer", "date", "amount")
NAMES = {   # header names recognised for each role (lower case, in order of preference)
    "customer": ("customer_id", "customer", "client_id", "client", "user_id", "cust_id",
                 "customerid", "buyer_id", "id"),
    "date": ("date", "order_date", "transaction_date", "purchase_date", "invoicedate",
             "datetime", "timestamp", "created_at", "time"),
    "amount": ("amount", "value", "revenue", "sales", "total", "order_value", "sum",
               "price", "spend"),
    "items": ("items", "quantity", "qty", "units", "number_of_items"),
    "product": ("product", "product_id", "sku", "item", "category"),
    "channel": ("channel", "source", "store"),
}
DATE_FORMATS = ("ISO8601", "%Y%m%d", "%d.%m.%Y", "%d/%m/%Y", "%m/%d/%Y", "%Y/%m/%d",
                "%d-%m-%Y", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d/%m/%Y %H:%M:%S",
                "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M")
WHITESPACE = "whitespace"
SAMPLE_BYTES = 1 << 16
_DATE_SHAPE = r"^\s*(\d{8}|\d{1,4}[-./]\d{1,2}[-./]\d{1,4}([ T].*)?)\s*$"   # no bare years
_NUMBER = re.compile(r"^\s*[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?\s*$")


@dataclass
class LogOptions:
    """What the user said about the log (None: detect)."""

    columns: dict = field(default_factory=dict)     # role -> header name or 1-based position
    delimiter: str | None = None
    header: bool | None = None
    date_format: str | None = None
    encoding: str = "utf-8"
    decimal: str = "."
    drop_duplicates: bool = False


@dataclass
class Layout:
    """The resolved layout of a text log, and what was guessed (for the report)."""

    delimiter: str
    header: bool
    names: list[str]                 # column names (positions "1".."k" without a header)
    roles: dict                      # role -> column name
    guesses: list[str] = field(default_factory=list)


def _is_number(text: str) -> bool:
    return bool(_NUMBER.match(text))


def _dates(values: pd.Series, fmt: str) -> pd.Series:
    """Dates of `values` in format `fmt` (NaT where not one; a bare number such as
    2024 or 0001 is never a date, though ISO 8601 would read it as a year)."""
    shaped = values.where(values.str.match(_DATE_SHAPE))
    return pd.to_datetime(shaped, format=fmt, errors="coerce")


def _is_date(text: str) -> bool:
    return any(pd.notna(_dates(pd.Series([text]), f)[0]) for f in DATE_FORMATS)


def sample_lines(path, encoding: str) -> list[str]:
    with open(path, "rb") as fh:
        raw = fh.read(SAMPLE_BYTES)
    text = raw.decode(encoding, errors="replace")
    lines = text.splitlines()
    if len(raw) == SAMPLE_BYTES and lines:
        lines = lines[:-1]   # the last line may be cut
    return [ln for ln in lines if ln.strip()]


def detect_delimiter(lines: list[str], label: str) -> str:
    """The delimiter that splits the first line, and most of the sample lines, into the same
    number (> 1) of fields; runs of blanks count as one (fixed-width exports such as
    CDNOW's). A line that disagrees is reported by the reader with its number."""
    head = lines[:50]
    for delim in (",", ";", "\t", "|", WHITESPACE):
        counts = [len(split(ln, delim)) for ln in head]
        if counts[0] > 1 and counts.count(counts[0]) > len(counts) / 2:
            return delim
    raise InputError(f"{label}: cannot tell how the columns are separated (tried comma, "
                     "semicolon, tab, bar and blanks on the first lines): give "
                     "--delimiter")


def split(line: str, delimiter: str) -> list[str]:
    if delimiter == WHITESPACE:
        return line.split()
    return next(csv.reader(io.StringIO(line), delimiter=delimiter))


def resolve_layout(lines: list[str], opts: LogOptions, label: str) -> Layout:
    """Delimiter, header and the column of every role, from the options and the sample."""
    if not lines:
        raise InputError(f"{label}: the file is empty; a log needs a row per transaction "
                         "with customer id, date and amount")
    delim = opts.delimiter or detect_delimiter(lines, label)
    first = [f.strip() for f in split(lines[0], delim)]
    guesses = [] if opts.delimiter else [f"columns separated by {_delim_name(delim)}"]
    header = opts.header
    if header is None:
        header = not any(_is_number(f) or _is_date(f) for f in first if f)
        guesses.append("first row is a header" if header else "no header row")
    names = first if header else [str(i + 1) for i in range(len(first))]
    roles = {}
    for role in ROLES:
        roles[role] = _column(role, opts.columns.get(role), names, header, label)
    if not header and not any(opts.columns.get(r) for r in REQUIRED):
        roles.update(_guess_headerless(lines[:200], delim, names, label))
        guesses.append("columns guessed: " + ", ".join(
            f"{r}={roles[r]}" for r in ROLES if roles.get(r)))
    missing = [r for r in REQUIRED if not roles.get(r)]
    if missing:
        flags = ", ".join(f"--{r}-col" for r in missing)
        raise InputError(f"{label}: no {' / '.join(missing)} column among "
                         f"{', '.join(repr(n) for n in names)}: name it with {flags} "
                         "(a header name or a 1-based position)")
    return Layout(delim, header, names, roles, guesses)


def _delim_name(delim: str) -> str:
    return {",": "commas", ";": "semicolons", "\t": "tabs", "|": "bars",
            WHITESPACE: "blanks"}.get(delim, repr(delim))


def _column(role: str, given, names: list[str], header: bool, label: str) -> str | None:
    """The column name of a role: as given (name or 1-based position) or by header."""
    if given is not None:
        text = str(given)
        if text in names:
            return text
        if text.isdigit() and 1 <= int(text) <= len(names):
            return names[int(text) - 1]
        raise InputError(f"--{role}-col {text!r}: no such column; the log has "
                         f"{', '.join(repr(n) for n in names)} (or positions 1-"
                         f"{len(names)})")
    if not header:
        return None
    lower = {n.strip().lower(): n for n in names}
    for candidate in NAMES[role]:
        if candidate in lower:
            return lower[candidate]
    return None


def _guess_headerless(lines, delim, names, label) -> dict:
    """Roles of a log without a header: the customer is the first column, the date the
    first column of dates, the amount the last column of numbers with decimals (else the
    last numeric one), the items a column of whole numbers between them."""
    rows = [split(ln, delim) for ln in lines]
    cols = list(zip(*rows))

    def all_(test, j):
        return all(test(v) for v in cols[j])

    def dates_only(j):
        col = pd.Series(cols[j])
        return any(_dates(col, f).notna().all() for f in DATE_FORMATS)

    dates = [j for j in range(1, len(cols)) if dates_only(j)]
    if not dates:
        raise InputError(f"{label}: no header row and no column of dates in the first "
                         "rows: add a header (customer_id,date,amount) or give "
                         "--customer-col, --date-col and --amount-col")
    d = dates[0]
    numeric = [j for j in range(1, len(cols)) if j != d and all_(_is_number, j)]
    decimals = [j for j in numeric if any(("." in v or "," in v) for v in cols[j])]
    amount = (decimals or [j for j in numeric if j > d] or [None])[-1]
    if amount is None:
        raise InputError(f"{label}: no header row and no column of amounts: give "
                         "--amount-col")
    whole = [j for j in numeric if d < j < amount and j not in decimals]
    roles = {"customer": names[0], "date": names[d], "amount": names[amount]}
    if len(whole) == 1:
        roles["items"] = names[whole[0]]
    return roles


def detect_date_format(values: pd.Series, rows: pd.Series, column: str, label: str) -> str:
    """The one format that reads every sample date; mixed or ambiguous formats are
    errors naming rows, so a day and a month are never silently swapped."""
    sample = values.dropna().astype(str).str.strip()
    fits = [f for f in DATE_FORMATS if _dates(sample, f).notna().all()]
    if len(fits) == 1 or (fits and fits[0] == "ISO8601"):
        return fits[0]
    if len(fits) > 1:
        raise InputError(f"{label}: column {column!r}: dates such as {sample.iloc[0]!r} "
                         f"read as {' or '.join(fits)}: give --date-format")
    parsed = {f: _dates(sample, f) for f in DATE_FORMATS}
    for i, value in sample.items():
        if not any(pd.notna(p[i]) for p in parsed.values()):
            raise InputError(f"{label}: row {rows[i]}, column {column!r}: {value!r} is not "
                             "a date in a known format (e.g. 2024-03-31, 20240331, "
                             "31.03.2024): give --date-format")
    best = max(parsed, key=lambda f: parsed[f].notna().sum())
    odd = sample.index[parsed[best].isna()][0]
    other = next(f for f, p in parsed.items() if pd.notna(p[odd]))
    first = sample.index[parsed[best].notna()][0]
    raise InputError(f"{label}: column {column!r} mixes date formats: row {rows[first]} "
                     f"{sample[first]!r} reads as {best}, row {rows[odd]} {sample[odd]!r} "
                     f"as {other}: write every date one way or give --date-format")
