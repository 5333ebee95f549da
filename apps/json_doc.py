"""JSON as strict parsers read it: a number that is not finite (NaN, infinity) is null.

Python's json writes NaN and Infinity, which JSON does not have; a figure that is not a
number is a figure the run cannot show, so it is written as null like every other one.
"""

import json
import math


def finite(value):
    """`value` with every non-finite float (anywhere inside) replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def dumps(document, **options) -> str:
    """Strict JSON text of `document` (non-finite numbers as null)."""
    return json.dumps(finite(document), allow_nan=False, **options)
