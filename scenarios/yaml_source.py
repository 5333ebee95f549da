"""Scenario YAML from a file or a text, read and parsed within fixed limits.

A scenario file may come from anyone (an upload, a shared folder), so reading it must
cost little whatever it holds: a file larger than `MAX_BYTES` is refused before it is
read, a document is composed once by a loader that stops at `MAX_DEPTH` levels of
nesting and at `MAX_NODES` nodes counted with every alias expanded (the "billion
laughs" pattern is a few hundred bytes that expand to billions of nodes), and anything
that is not a regular file (a folder, a pipe, a device) is named as what it is.
"""

import os
import re
import stat
from importlib import resources
from pathlib import Path

import yaml

from scenarios.errors import InputError

MAX_BYTES = 256 * 1024     # 16 times the largest built-in scenario
MAX_NODES = 20_000         # values, keys and list items, aliases expanded (presets: < 600)
MAX_DEPTH = 32             # levels of nesting (presets: 7)
PRESETS = "scenarios.presets"


class _TooBig(yaml.YAMLError):
    def __init__(self, problem: str, mark):
        self.problem, self.problem_mark = problem, mark


class _LimitedLoader(yaml.SafeLoader):
    """SafeLoader that counts the nodes and the depth of the document as they would be
    with every alias expanded, and stops as soon as either passes its limit."""

    def __init__(self, text: str):
        super().__init__(text)
        self._depth = 0           # of the node being composed
        self._total = 0           # nodes composed so far, aliases expanded
        self._expanded: dict[int, tuple[int, int]] = {}   # id(node) -> (nodes, depth)

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            node = super().compose_node(parent, index)
            size = self._expanded.get(id(node))
            if size is None:
                raise _TooBig("an alias refers to a node that contains it (a recursive "
                              "structure); a scenario must be a tree", event.start_mark)
            self._count(size, event.start_mark)
            return node
        self._count((1, 1), event.start_mark)
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        children = ([x for pair in node.value for x in pair]
                    if isinstance(node, yaml.MappingNode)
                    else node.value if isinstance(node, yaml.SequenceNode) else [])
        sizes = [self._expanded[id(c)] for c in children]
        self._expanded[id(node)] = (1 + sum(s[0] for s in sizes),
                                    1 + max((s[1] for s in sizes), default=0))
        return node

    def _count(self, size: tuple[int, int], mark) -> None:
        """Add a node (or an alias's expansion) at the current depth; check the limits."""
        self._total += size[0]
        if self._total > MAX_NODES:
            raise _TooBig(f"the document holds more than {MAX_NODES:,} values with its "
                          "aliases expanded; a scenario needs far fewer (write fewer "
                          "values, or fewer nested aliases)", mark)
        if self._depth + size[1] > MAX_DEPTH:
            via = " once its aliases are expanded" if size[1] > 1 else ""
            raise _TooBig(f"the document is nested deeper than {MAX_DEPTH} levels{via}; a "
                          "scenario needs far fewer", mark)


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def _too_big(label: str, size: str) -> InputError:
    return InputError(f"{label}: the scenario is {size}; at most {MAX_BYTES // 1024} KiB is "
                      "allowed (the built-in scenarios are under 20 KiB)")


def preset_names() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files(PRESETS).iterdir()
                  if p.name.endswith(".yaml"))


def read_text(spec: str) -> tuple[str, str]:
    """(YAML text, label for messages) of a preset name or a file path."""
    if spec in preset_names():
        return resources.files(PRESETS).joinpath(spec + ".yaml").read_text(), f"{spec}.yaml"
    path = Path(spec)
    if path.suffix in (".yaml", ".yml") or os.path.lexists(path):
        return read_file(path), str(path)
    raise InputError(f"unknown scenario {spec!r}: not a preset and not a .yaml file; "
                     f"presets: {', '.join(preset_names())}")


def read_file(path: Path) -> str:
    """The text of a scenario file: a regular file of at most MAX_BYTES of UTF-8. The
    kind and the size are looked up before the file is opened, so a pipe never blocks
    and a huge file is not read."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such scenario file") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read the file ({e.strerror or e})") from None
    for test, kind in _KINDS:
        if test(info.st_mode):
            raise InputError(f"{path}: is {kind}, not a scenario file; give a YAML file")
    if info.st_size > MAX_BYTES:
        raise _too_big(str(path), f"{info.st_size:,} bytes")
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise InputError(f"{path}: cannot read the file ({e.strerror or e})") from None
    if len(raw) > MAX_BYTES:      # it grew, or its size is not known in advance
        raise _too_big(str(path), f"over {MAX_BYTES:,} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: cannot read the file: it is not UTF-8 text (byte "
                         f"{e.object[e.start]:#04x} at offset {e.start})") from None


def check_size(text: str, label: str) -> None:
    """Refuse a scenario text above MAX_BYTES (an upload, a generated file)."""
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise _too_big(label, f"{len(text.encode('utf-8', 'surrogatepass')):,} bytes")


def _where(e: yaml.YAMLError, label: str) -> str:
    mark = getattr(e, "problem_mark", None)
    return f"{label}:{mark.line + 1}" if mark else label


def _tag(problem: str) -> str:
    """A constructor error about a tag, said in the user's own spelling of the tag."""
    found = re.search(r"for the tag '([^']*)'", problem)
    if not found:
        return problem
    tag = found.group(1)
    shown = "!!" + tag[len("tag:yaml.org,2002:"):] if tag.startswith("tag:yaml.org,2002:") \
        else tag
    return (f"the tag {shown} is not allowed; a scenario is plain YAML (mappings, lists, "
            "numbers, text)")


def load(text: str, label: str):
    """(data, node): the plain data of a YAML document and its node tree (for lines),
    within the limits above; every YAML problem is an InputError."""
    check_size(text, label)
    loader = _LimitedLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as e:
            problem = getattr(e, "problem", None) or str(e).splitlines()[0]
            context, start = getattr(e, "context", None), getattr(e, "context_mark", None)
            mark = getattr(e, "problem_mark", None)
            if context and start and mark and start.line != mark.line:
                problem = f"{problem} ({context} at line {start.line + 1})"
            kind = "" if isinstance(e, _TooBig) else "YAML syntax error: "
            raise InputError(f"{_where(e, label)}: {kind}{problem}") from None
        if node is None:
            return None, None
        try:
            data = loader.construct_document(node)
        except yaml.YAMLError as e:   # e.g. a tag the safe loader does not construct
            problem = getattr(e, "problem", None) or str(e).splitlines()[0]
            raise InputError(f"{_where(e, label)}: YAML error: {_tag(problem)}") from None
    finally:
        loader.dispose()
    return _unshared(data), node


def _unshared(data):
    """A copy in which no two places hold the same mapping or list (an alias would
    otherwise let an override of one place change the other)."""
    if isinstance(data, dict):
        return {k: _unshared(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_unshared(v) for v in data]
    return data
