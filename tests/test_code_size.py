"""Size limits of the code base: no file above 400 lines, no function above 60.

Small files and short functions keep each concept readable on one screen. Only the
numba kernels' hot loops are exempt, because splitting them would cost a call per
customer per day; each exemption is named here and must stay a numba kernel.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("sim", "models", "scenarios", "apps", "tests")
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60
KERNEL_HOT_LOOPS = {
    ("models/contact_kernel.py", "_deliver"),
    ("models/funnel_kernel.py", "visit"),
}


def _python_files():
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def _is_numba_kernel(node):
    """A function counts as a kernel only when numba compiles it (njit or jit)."""
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name in ("njit", "jit"):
            return True
    return False


def _long_functions(path, tree):
    relative = path.relative_to(ROOT).as_posix()
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        length = node.end_lineno - node.lineno + 1
        if length <= MAX_FUNCTION_LINES:
            continue
        if (relative, node.name) in KERNEL_HOT_LOOPS and _is_numba_kernel(node):
            continue
        yield f"{relative}:{node.lineno} {node.name}() has {length} lines"


def test_no_file_above_the_line_limit():
    too_long = []
    for path in _python_files():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_FILE_LINES:
            too_long.append(f"{path.relative_to(ROOT).as_posix()} has {lines} lines")
    assert not too_long, "files above %d lines:\n%s" % (MAX_FILE_LINES, "\n".join(too_long))


def test_no_function_above_the_line_limit():
    too_long = []
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        too_long.extend(_long_functions(path, tree))
    assert not too_long, "functions above %d lines:\n%s" % (
        MAX_FUNCTION_LINES, "\n".join(too_long))


def test_every_exempt_kernel_still_exists_and_is_compiled_by_numba():
    """An exemption outliving its kernel would silently widen the allow-list."""
    for relative, name in KERNEL_HOT_LOOPS:
        tree = ast.parse((ROOT / relative).read_text(encoding="utf-8"))
        kernels = [n for n in ast.walk(tree)
                   if isinstance(n, ast.FunctionDef) and n.name == name]
        assert kernels and all(_is_numba_kernel(k) for k in kernels), (relative, name)
