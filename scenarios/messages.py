"""Pydantic errors -> one line each: `file:line: field.path: problem (got value)`.

Pydantic reports a failed union once per branch; a user wants to hear about the branch
that matches what they wrote (a number or a mapping with a known key), or, when none
does, about the allowed forms. Unknown keys come with the closest allowed key or the
list of allowed keys, read from the schema itself.
"""

import difflib
import math
import re
import types
import typing

from pydantic import BaseModel, ValidationError

_TAG = re.compile(r"[A-Z\[\-]|^(float|int|str|bool|none|dict|list|tuple)$")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PATTERNS = {r"^[A-Za-z0-9_\-]+$": "may contain only letters, digits, '_' and '-'"}
_MISSING = object()


# --- the schema at a path ------------------------------------------------------------

def _unwrap(tp) -> list:
    """The concrete alternatives of an annotation (Annotated, Optional, Union removed)."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        out = []
        for arg in typing.get_args(tp):
            if arg is not type(None):
                out.extend(_unwrap(arg))
        return out
    return [tp]


def _is_model(tp) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def field_info(model, path: tuple):
    """(annotation, FieldInfo or None) of the field at `path` of `model`, or None."""
    tp, info = model, None
    for part in path:
        nxt = None
        for alt in _unwrap(tp):
            origin = typing.get_origin(alt)
            if _is_model(alt) and isinstance(part, str) and part in alt.model_fields:
                fi = alt.model_fields[part]
                nxt = (fi.annotation, fi)
            elif origin is dict:
                nxt = (typing.get_args(alt)[1], None)
            elif origin in (list, tuple) and isinstance(part, int):
                args = [a for a in typing.get_args(alt) if a is not Ellipsis]
                nxt = (args[min(part, len(args) - 1)] if args else typing.Any, None)
            if nxt is not None:
                break
        if nxt is None:
            return None
        tp, info = nxt
    return tp, info


def allowed_keys(model, path: tuple) -> list[str]:
    """The keys a mapping at `path` may hold (model fields or literal dict keys)."""
    found = field_info(model, path) if model is not None else None
    if found is None:
        return []
    keys = []
    for alt in _unwrap(found[0]):
        if _is_model(alt):
            keys.extend(alt.model_fields)
        elif typing.get_origin(alt) is dict:
            key_type = typing.get_args(alt)[0]
            for k in _unwrap(key_type):
                if typing.get_origin(k) is typing.Literal:
                    keys.extend(typing.get_args(k))
    return list(dict.fromkeys(keys))


def describe_field(model, path: tuple) -> str:
    """The schema's description of a field (units and limits), or ''."""
    found = field_info(model, path) if model is not None else None
    if found is None or found[1] is None:
        return ""
    return found[1].description or ""


def expects_number(model, path: tuple) -> bool:
    """Whether the field at `path` takes a number and not a boolean."""
    found = field_info(model, path) if model is not None else None
    if found is None:
        return False
    alts = _unwrap(found[0])
    return bool(alts) and bool not in alts and any(a in (int, float) for a in alts)


# --- error locations -----------------------------------------------------------------

def _is_tag(part) -> bool:
    return isinstance(part, str) and bool(_TAG.search(part))


def _split(err, data) -> tuple[tuple, int]:
    """(user path, length of the loc prefix before the first union tag) of an error.

    With the input at hand a loc element is part of the user's path when the input
    holds it (or it is the key an error says is missing); anything else is a tag
    pydantic added (a union branch, `[key]`, ...). Without the input, a name pattern.
    """
    loc = err["loc"]
    path, field_len, cursor = [], None, data
    for i, part in enumerate(loc):
        if data is _MISSING:
            real = not _is_tag(part)
        elif isinstance(cursor, dict) and part in cursor:
            real, cursor = True, cursor[part]
        elif (isinstance(cursor, (list, tuple)) and isinstance(part, int)
              and 0 <= part < len(cursor)):
            real, cursor = True, cursor[part]
        else:
            real = i == len(loc) - 1 and err["type"] == "missing"
            cursor = None if real else cursor
        if real:
            path.append(part)
        elif field_len is None:
            field_len = i
    return tuple(path), len(loc) if field_len is None else field_len


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _line(lines: dict, path: tuple) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


def field_message(label: str, lines: dict, path: tuple, message: str,
                  context: str = "") -> str:
    """`file:line: field.path: message`, the line of the field (or of its section)."""
    where = _line(lines, path)
    head = f"{label}:{where}" if where else label
    return f"{head}: {context}{'.'.join(map(str, path))}: {message}"


# --- unions --------------------------------------------------------------------------

def _mismatched(errs: list, field_len: int) -> bool:
    """Whether a union branch is of another form than the input (not just wrong)."""
    for e in errs:
        t = e["type"]
        if len(e["loc"]) == field_len + 1 and (t.endswith("_type") or t.endswith("_parsing")):
            return True
    extra = {e["loc"][field_len + 1] for e in errs
             if e["type"] == "extra_forbidden" and len(e["loc"]) == field_len + 2}
    missing = any(e["type"] == "missing" and len(e["loc"]) == field_len + 2 for e in errs)
    if missing:
        inputs = [e["input"] for e in errs if len(e["loc"]) == field_len + 2
                  and e["type"] == "missing"]
        keys = set(inputs[0]) if inputs and isinstance(inputs[0], dict) else set()
        return keys <= extra
    return False


def _forms(branches: dict, field_len: int) -> str:
    out = []
    for errs in branches.values():
        missing = [e["loc"][field_len + 1] for e in errs
                   if e["type"] == "missing" and len(e["loc"]) == field_len + 2]
        if missing:
            out.append("{" + missing[0] + ": ...}")
        elif any(e["type"].startswith(("float", "int")) for e in errs):
            out.append("a number")
        elif any(e["type"].startswith("string") for e in errs):
            out.append("a text")
    return ", ".join(dict.fromkeys(out)) or "another form"


def _pick(errs: list, field_len: int, model, path: tuple) -> list:
    """Of the errors of one field, keep those of the union branch the input matches."""
    tagged = [e for e in errs if len(e["loc"]) > field_len]
    if len(tagged) < 2:
        return errs
    branches: dict = {}
    for e in tagged:
        branches.setdefault(e["loc"][field_len], []).append(e)
    if len(branches) < 2:
        return errs
    matched = [b for b in branches.values() if not _mismatched(b, field_len)]
    if matched:
        return min(matched, key=len)
    value = next((e["input"] for e in tagged if len(e["loc"]) == field_len + 1
                  or (e["type"] == "missing" and len(e["loc"]) == field_len + 2)), None)
    allowed = describe_field(model, path) or _forms(branches, field_len)
    return [{"type": "union_form", "loc": tagged[0]["loc"][:field_len], "input": value,
             "msg": f"{_show(value)} is not an allowed form; expected {allowed}"}]


# --- messages ------------------------------------------------------------------------

def _explain(err, path: tuple, model, suggestions: dict) -> tuple[tuple, str]:
    """(path to report, message) of one error."""
    t, msg, value = err["type"], err["msg"], err["input"]
    desc = describe_field(model, path)
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if t == "union_form":
        return path, msg
    if t == "finite_number":
        shown = ".nan" if value != value else (".inf" if value > 0 else "-.inf")
        what = "is not a number" if value != value else "must be a finite number"
        tail = f"; field: {desc}" if desc else ""
        return path, f"{what} (got {shown}){tail}"
    if t == "extra_forbidden":
        key = path[-1]
        close = suggestions.get(path)
        if close:
            return path, f"unknown key {key!r} (did you mean {close!r}?)"
        allowed = allowed_keys(model, path[:-1])
        tail = f"; allowed: {', '.join(map(str, allowed))}" if allowed else ""
        return path, f"unknown key {key!r}{tail}"
    if t == "missing":
        found = field_info(model, path) if model is not None else None
        kind = "section" if found and any(_is_model(a) for a in _unwrap(found[0])) else "field"
        where = ".".join(map(str, path[:-1])) or "the top level"
        tail = f" ({desc})" if desc else ""
        return path, f"required {kind} {path[-1]!r} is missing from {where}{tail}"
    if t in ("model_type", "dict_type", "model_attributes_type"):
        return path, f"should be a mapping of keys to values (got {_show(value)})"
    if t == "value_error" and isinstance(value, dict):
        return _explain_cross_field(path, msg, value)
    if t == "string_pattern_mismatch":
        pattern = (err.get("ctx") or {}).get("pattern", "")
        if pattern in _PATTERNS:
            msg = _PATTERNS[pattern]
    if t in ("too_short", "too_long"):
        low, high = _length_limits(model, path)
        size = (err.get("ctx") or {}).get("actual_length", len(value))
        if low is not None and low == high:
            msg = f"should have exactly {low} items, not {size}"
        else:
            msg = msg.replace(" after validation", "")
    if t == "string_type" and isinstance(value, bool):
        msg = (f"{msg} (got {value}: YAML reads unquoted yes/no/on/off/true/false as a "
               "boolean; put the text in quotes)")
    elif "(got" not in msg:
        msg = f"{msg} (got {_show(value)})"
    if desc and t.startswith(("float_", "int_")) and (t.endswith("_type")
                                                     or t.endswith("_parsing")):
        msg = f"{msg}; field: {desc}"
    if t == "int_parsing" and isinstance(value, str):
        msg = _whole_number_hint(msg, value)
    return path, msg


def _explain_cross_field(path: tuple, msg: str, value: dict) -> tuple[tuple, str]:
    """A check across fields: point at the first field the message names.

    The error is raised on the section, but the person has to fix one field of it."""
    for word in _WORD.findall(msg):
        if word in value:
            shown = value[word]
            if not isinstance(shown, (dict, list)) and str(shown) not in msg:
                msg = f"{msg} (got {_show(shown)})"
            elif isinstance(shown, dict) and "(got" not in msg:
                msg = f"{msg} (got {', '.join(map(str, shown)) or 'none'})"
            return path + (word,), msg
    return path, msg


def _whole_number_hint(msg: str, value: str) -> str:
    """'3.0' given for a count: say which whole number to write instead."""
    try:
        number = float(value)
    except ValueError:
        return msg
    return f"{msg}; write it as a whole number ({int(number)})" if number.is_integer() else msg


def _length_limits(model, path: tuple) -> tuple:
    """(min_length, max_length) of a list field, from the schema."""
    found = field_info(model, path) if model is not None else None
    low = high = None
    for m in (found[1].metadata if found and found[1] is not None else []):
        low = getattr(m, "min_length", low)
        high = getattr(m, "max_length", high)
    return low, high


def describe_errors(exc: ValidationError, label: str, lines: dict, context: str = "",
                    data=_MISSING, model=None) -> list[str]:
    """One message line per problem of a failed validation of `data` by `model`."""
    groups: dict[tuple, list] = {}
    paths: dict[int, tuple] = {}
    for err in exc.errors(include_url=False):
        path, field_len = _split(err, data)
        paths[id(err)] = path
        groups.setdefault(tuple(err["loc"][:field_len]), []).append(err)
    picked = []
    for field, errs in groups.items():
        field_path = paths[id(errs[0])][:len(field)]   # all of the field's loc is the user's
        for err in _pick(errs, len(field), model, field_path):
            if err["type"] == "union_form":
                paths[id(err)] = field_path
            picked.append(err)
    # An unknown key next to a missing required key of a similar name is one typo.
    missing = {paths[id(e)] for e in picked if e["type"] == "missing"}
    suggestions, covered = {}, set()
    for e in picked:
        if e["type"] != "extra_forbidden":
            continue
        path = paths[id(e)]
        parent = path[:-1]
        near = [p[-1] for p in missing if p[:-1] == parent]
        pool = near or allowed_keys(model, parent)
        close = difflib.get_close_matches(str(path[-1]), [str(k) for k in pool], 1, 0.6)
        if close:
            suggestions[path] = close[0]
            covered.add(parent + (close[0],))
    messages = []
    for err in picked:
        path = paths[id(err)]
        if err["type"] == "missing" and path in covered:
            continue
        path, msg = _explain(err, path, model, suggestions)
        where = _line(lines, path)
        dotted = ".".join(str(p) for p in path) or "(top level)"
        head = f"{label}:{where}" if where else label
        line = f"{head}: {context}{dotted}: {msg}"
        if line not in messages:
            messages.append(line)
    return messages


def nonfinite_problems(dumped, label: str, lines: dict, context: str = "",
                       path: tuple = ()) -> list[str]:
    """Messages for every infinite or NaN number in a validated, dumped scenario."""
    out = []
    if isinstance(dumped, dict):
        for k, v in dumped.items():
            out += nonfinite_problems(v, label, lines, context, path + (k,))
    elif isinstance(dumped, (list, tuple)):
        for i, v in enumerate(dumped):
            out += nonfinite_problems(v, label, lines, context, path + (i,))
    elif isinstance(dumped, float) and not math.isfinite(dumped):
        where = _line(lines, path)
        head = f"{label}:{where}" if where else label
        out.append(f"{head}: {context}{'.'.join(map(str, path))}: must be a finite number "
                   f"(got {dumped})")
    return out


def boolean_problems(data, model, label: str, lines: dict, context: str = "",
                     path: tuple = ()) -> list[str]:
    """Messages for booleans where the schema wants a number (pydantic takes yes as 1)."""
    out = []
    if isinstance(data, dict):
        for k, v in data.items():
            out += boolean_problems(v, model, label, lines, context, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += boolean_problems(v, model, label, lines, context, path + (i,))
    elif isinstance(data, bool) and expects_number(model, path):
        where = _line(lines, path)
        head = f"{label}:{where}" if where else label
        desc = describe_field(model, path)
        tail = f"; field: {desc}" if desc else ""
        out.append(f"{head}: {context}{'.'.join(map(str, path))}: should be a number, not a "
                   f"boolean (got {data}: YAML reads unquoted yes/no/on/off/true/false as "
                   f"booleans){tail}")
    return out
