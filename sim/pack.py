"""A tuple of arrays handed to a kernel as one argument, unboxed once.

Each array a kernel call takes from Python is unboxed anew on every call (a new
reference record per array, ~0.1 us each): a kernel over the funnel's 19 customer states
and its tables pays 2-3 us a call before any work, several times a simulated day, which
is most of a small run's cost per day. A `Pack` holds the arrays already unboxed, so a
call pays one lookup for all of them (~0.8 us). Its arrays are the very objects given
(writes go through); a pack is built again when they move (the customers grew).

In a kernel: `S, M, blocks = pack.items`.
"""

from numba import njit
from numba.core import types
from numba.experimental import structref


@structref.register
class PackType(types.StructRef):
    def preprocess_fields(self, fields):
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


class Pack(structref.StructRefProxy):
    """`Pack(items)`: `items` a tuple (of arrays, tuples of arrays, numbers)."""

    def __new__(cls, items: tuple):
        return _packed(items)


structref.define_proxy(Pack, PackType, ["items"])


@njit(cache=True)
def _packed(items):
    """Built in a cached kernel: numba's own constructor would be compiled anew in every
    process (a delay at each start, and a compile inside a sweep's worker)."""
    return Pack(items)
