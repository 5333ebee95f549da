"""Vector compress: lists of customers, built 16 at a time.

The funnel's exact pass lists the customers its sweep flagged; a daily trigger (a
reminder on the due day, a win-back on days 35, 60 and 100 of absence, a welcome to the
new) lists those whose date array holds one of a few values, or whose stage and flags
pass the rule's masks. Here 16 customers are tested at once, giving a 16-bit mask of
the passing lanes, and the lanes' indices are appended to the list in one of two ways,
chosen for the machine the kernels are compiled for (`append_lanes`):

- with AVX-512, packed to the front of a vector (LLVM's
  `llvm.experimental.vector.compress`: one instruction) and stored whole at the list's
  end, the count of matches moving the end: no branch depends on the data;
- elsewhere LLVM expands that compress into ~45 cycles a group of 16, marked or not
  (0.9-1.3 ns a customer on an AVX2 machine, most of a daily trigger's sweep and a
  sixth of the funnel's day), so the set bits are written one by one (each a count of
  trailing zeros), and a group with none writes nothing: 0.1-0.4 ns a customer with
  0.1-3% of them marked, no slower with 30% (measured on AMD Zen 3).

Either way the list is the same as a scalar loop's.
"""

import numpy as np
from llvmlite import ir
from numba import config, njit, types
from numba.core import cgutils
from numba.core.codegen import get_host_cpu_features
from numba.cpython.unsafe.numbers import trailing_zeros
from numba.extending import intrinsic

LANES = 16
_I32 = ir.IntType(32)
_V32 = ir.VectorType(_I32, LANES)
_MASK = ir.VectorType(ir.IntType(1), LANES)
_BITS = ir.IntType(LANES)
_V8 = ir.VectorType(ir.IntType(8), LANES)
NO_DATE = np.int32(-(2**31))    # pads a list of dates: no date is it


def _item_pointer(context, builder, array_type, array, index, index_type):
    """Pointer to array[index] (no bounds check: callers keep the 16 lanes inside)."""
    index = context.cast(builder, index, index_type, types.intp)
    array = context.make_array(array_type)(context, builder, array)
    return cgutils.get_item_pointer(context, builder, array_type, array, [index])


def _splat(context, builder, value, value_type):
    """The int32 `value` in all 16 lanes."""
    scalar = context.cast(builder, value, value_type, types.int32)
    undef = ir.Constant(_V32, ir.Undefined)
    first = builder.insert_element(undef, scalar, ir.Constant(_I32, 0))
    return builder.shuffle_vector(first, undef, ir.Constant(_V32, [0] * LANES))


@intrinsic
def _date_bits(typingctx, x, j, d0, d1, d2, d3, above):
    """Bit k set where x[j + k] (int32) is d0, d1, d2 or d3 or greater than `above`."""
    if not (isinstance(x, types.Array) and x.dtype == types.int32 and x.layout == "C"):
        return None

    def codegen(context, builder, signature, args):
        kinds = signature.args
        pointer = _item_pointer(context, builder, kinds[0], args[0], args[1], kinds[1])
        v = builder.load(builder.bitcast(pointer, _V32.as_pointer()), align=4)
        hit = builder.icmp_signed(">", v, _splat(context, builder, args[6], kinds[6]))
        for k in range(2, 6):
            hit = builder.or_(hit, builder.icmp_signed(
                "==", v, _splat(context, builder, args[k], kinds[k])))
        return builder.bitcast(hit, _BITS)

    return types.uint16(x, j, d0, d1, d2, d3, above), codegen


def _load_bytes(context, builder, array_type, array, index, index_type):
    """array[index:index + 16] (bytes), widened to 16 int32 lanes."""
    pointer = _item_pointer(context, builder, array_type, array, index, index_type)
    return builder.zext(builder.load(builder.bitcast(pointer, _V8.as_pointer()), align=1),
                        _V32)


def _bytes(array):
    return (isinstance(array, types.Array) and array.layout == "C"
            and array.dtype in (types.int8, types.uint8))


@intrinsic
def _pass_bits(typingctx, stage, flags, j, stage_bits, need_flags):
    """Bit k set where customer j + k's stage is one of `stage_bits` (stage s: bit s,
    stages below 32) and its flags hold every bit of `need_flags`."""
    if not (_bytes(stage) and _bytes(flags)):
        return None

    def codegen(context, builder, signature, args):
        kinds = signature.args
        st = _load_bytes(context, builder, kinds[0], args[0], args[2], kinds[2])
        fl = _load_bytes(context, builder, kinds[1], args[1], args[2], kinds[2])
        shift = builder.and_(st, ir.Constant(_V32, [31] * LANES))
        in_stage = builder.and_(
            builder.lshr(_splat(context, builder, args[3], kinds[3]), shift),
            ir.Constant(_V32, [1] * LANES))
        need = _splat(context, builder, args[4], kinds[4])
        hit = builder.and_(builder.icmp_unsigned("!=", in_stage, ir.Constant(_V32, [0] * LANES)),
                           builder.icmp_unsigned("==", builder.and_(fl, need), need))
        return builder.bitcast(hit, _BITS)

    return types.uint16(stage, flags, j, stage_bits, need_flags), codegen


@intrinsic
def _set_bits(typingctx, marks, j):
    """Bit k set where marks[j + k] (a byte) is not 0."""
    if not _bytes(marks):
        return None

    def codegen(context, builder, signature, args):
        pointer = _item_pointer(context, builder, signature.args[0], args[0], args[1],
                                signature.args[1])
        v = builder.load(builder.bitcast(pointer, _V8.as_pointer()), align=1)
        return builder.bitcast(builder.icmp_unsigned("!=", v, ir.Constant(_V8, [0] * LANES)),
                               _BITS)

    return types.uint16(marks, j), codegen


@intrinsic
def _store_compressed(typingctx, out, m, base, bits):
    """out[m:m+16] = base + k for every set bit k of `bits`, packed to the front (the
    lanes after them are left undefined); returns how many bits are set."""
    if not (isinstance(out, types.Array) and out.dtype == types.int32 and out.layout == "C"):
        return None

    def codegen(context, builder, signature, args):
        kinds = signature.args
        pointer = _item_pointer(context, builder, kinds[0], args[0], args[1], kinds[1])
        lanes = builder.add(_splat(context, builder, args[2], kinds[2]),
                            ir.Constant(_V32, list(range(LANES))))
        bits = context.cast(builder, args[3], kinds[3], types.uint16)
        compress = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(_V32, [_V32, _MASK, _V32]),
            "llvm.experimental.vector.compress.v16i32")
        packed = builder.call(compress, [lanes, builder.bitcast(bits, _MASK),
                                         ir.Constant(_V32, ir.Undefined)])
        builder.store(packed, builder.bitcast(pointer, _V32.as_pointer()), align=4)
        count = builder.call(cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(_BITS, [_BITS]), "llvm.ctpop.i16"), [bits])
        return builder.zext(count, ir.IntType(64))

    return types.int64(out, m, base, bits), codegen


@njit(cache=True, inline="always")
def _append_bits(out, m, base, bits):
    """out[m:] = base + k for every set bit k of `bits`, in order; returns how many."""
    left = np.uint32(bits)
    k = m
    while left:
        out[k] = base + trailing_zeros(left)
        k += 1
        left &= left - np.uint32(1)
    return k - m


def target_features() -> list[str]:
    """The features of the machine numba compiles for ('+avx2', '-avx512f', ...): its
    own setting (NUMBA_CPU_FEATURES) first, else the host's."""
    features = config.CPU_FEATURES if config.CPU_FEATURES is not None else (
        get_host_cpu_features())
    return features.split(",")


def native_compress() -> bool:
    """Whether the machine numba compiles for has AVX-512's vector compress."""
    return "+avx512f" in target_features()


# append_lanes(out, m, base, bits): base + k for every set bit k of the 16-bit `bits`
# appended at out[m:], in order; returns how many (the module's docstring says which).
append_lanes = _store_compressed if native_compress() else _append_bits


@njit(cache=True, inline="always")
def _four_dates(x, n, lo, d0, d1, d2, d3, above, out):
    """`listed_dates` of at most four dates, 16 customers at a time (the tail is the
    caller's); returns (count, first customer not tested)."""
    m = 0
    j = 0
    while j + LANES <= n:
        m += append_lanes(out, m, lo + j, _date_bits(x, j, d0, d1, d2, d3, above))
        j += LANES
    return m, j


@njit(cache=True)
def listed_dates(x, n, lo, dates, above, out):
    """Write lo + j for every j < n whose x[j] is one of `dates` (a multiple of four,
    padded with NO_DATE) or greater than `above` to `out`, in order; return how many.
    A single date (a reminder on the due day, a request the day after a purchase) is
    compared once, not four times: half the sweep where the dates are in cache (260,000
    customers on AMD Zen 3: 56 -> 26 us). `out` holds at least n entries: a store of 16
    lanes starts at the count so far, never past j, so it ends inside them."""
    if x.size < n or out.size < n:
        raise ValueError("listed_dates: x and out must hold n entries")
    # the dates kept in registers: the stores may alias `dates`
    d0, d1, d2, d3 = dates[0], dates[1], dates[2], dates[3]
    if dates.size == 4 and d1 == NO_DATE and d2 == NO_DATE and d3 == NO_DATE:
        m, j = _four_dates(x, n, lo, d0, d0, d0, d0, above, out)   # one compare
    elif dates.size == 4:
        m, j = _four_dates(x, n, lo, d0, d1, d2, d3, above, out)
    else:
        m, j = 0, 0
        while j + LANES <= n:
            bits = _date_bits(x, j, d0, d1, d2, d3, above)
            for g in range(4, dates.size, 4):
                bits |= _date_bits(x, j, dates[g], dates[g + 1], dates[g + 2],
                                   dates[g + 3], above)
            m += append_lanes(out, m, lo + j, bits)
            j += LANES
    for k in range(j, n):
        v = x[k]
        hit = v > above
        for d in dates:
            hit |= v == d
        if hit:
            out[m] = lo + k
            m += 1
    return m


@njit(cache=True, inline="always")
def passes(st, fl, stage_bits, need_flags):
    """1 if a customer of stage `st` and flags `fl` passes the stage and flag masks
    (the scalar test `_pass_bits` makes for 16 customers at once)."""
    return ((stage_bits >> st) & 1) & ((fl & need_flags) == need_flags)


@njit(cache=True)
def listed_passing(stage, flags, n, lo, stage_bits, need_flags, out):
    """Write lo + j for every j < n whose stage[j] is one of `stage_bits` (stage s: bit
    s) and whose flags[j] hold every bit of `need_flags` to `out`, in order; return how
    many. `out` holds at least n entries (see `listed_dates`)."""
    if stage.size < n or flags.size < n or out.size < n:
        raise ValueError("listed_passing: stage, flags and out must hold n entries")
    m = 0
    j = 0
    while j + LANES <= n:
        m += append_lanes(out, m, lo + j,
                          _pass_bits(stage, flags, j, stage_bits, need_flags))
        j += LANES
    for k in range(j, n):
        if passes(stage[k], flags[k], stage_bits, need_flags):
            out[m] = lo + k
            m += 1
    return m


@njit(cache=True)
def listed_flags(flags, n, lo, out):
    """Write lo + j for every j < n whose flags[j] is not 0 to `out`, in order; return
    how many: the exact passes' lists of the customers their sweeps flagged. `out`
    holds at least n entries (see `listed_dates`)."""
    if flags.size < n or out.size < n:
        raise ValueError("listed_flags: flags and out must hold n entries")
    m = 0
    j = 0
    while j + LANES <= n:
        m += append_lanes(out, m, lo + j, _set_bits(flags, j))
        j += LANES
    for k in range(j, n):
        if flags[k]:
            out[m] = lo + k
            m += 1
    return m
