"""Software prefetch for the kernels' exact passes.

An exact pass visits the few customers a sweep flagged, a few dozen apart, and reads a
dozen arrays for each: once the population outgrows the caches, every one of those
reads waits for memory, one after the other. Asking for the arrays of a customer a few
flagged places ahead while the current one is worked on overlaps those waits. A
prefetch is only a hint: it changes no value, so results stay what they were.
"""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

AHEAD = 8      # flagged customers between the one prefetched and the one worked on

_I32 = ir.IntType(32)
_BYTE_PTR = ir.IntType(8).as_pointer()


@intrinsic
def prefetch(typingctx, arrays, index):
    """Hint that `array[index]` of every array of the tuple `arrays` (contiguous or
    strided) will soon be read and written (LLVM's llvm.prefetch: write intent, high
    locality, data cache). Nothing is loaded, so no bounds check is needed."""
    if not (isinstance(arrays, types.BaseTuple) and isinstance(index, types.Integer)
            and all(isinstance(a, types.Array) for a in arrays.types)):
        return None

    def codegen(context, builder, signature, args):
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [_BYTE_PTR, _I32, _I32, _I32]),
            "llvm.prefetch.p0")
        index = context.cast(builder, args[1], signature.args[1], types.intp)
        for k, array_type in enumerate(signature.args[0].types):
            array = context.make_array(array_type)(context, builder,
                                                   builder.extract_value(args[0], k))
            item = cgutils.get_item_pointer(context, builder, array_type, array, [index])
            builder.call(fn, [builder.bitcast(item, _BYTE_PTR), _I32(1), _I32(3), _I32(1)])
        return context.get_dummy_value()

    return types.void(arrays, index), codegen
