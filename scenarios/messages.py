"""Pydantic errors -> one line each: `file:line: field.path: problem (got value)`.

Pydantic reports a failed union once per branch; a user wants to hear about the branch
that matches what they wrote (a number or a mapping), with the allowed forms.
"""

import re

from pydantic import ValidationError

_TAG = re.compile(r"[A-Z\[\-]|^(float|int|str|bool|none|dict|list|tuple)$")


def _is_tag(part) -> bool:
    return isinstance(part, str) and bool(_TAG.search(part))


def _clean(loc) -> tuple:
    return tuple(p for p in loc if not _is_tag(p))


def _field(loc) -> tuple:
    """The user-visible path up to the first union tag (the field that failed)."""
    out = []
    for p in loc:
        if _is_tag(p):
            break
        out.append(p)
    return tuple(out)


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _line(lines: dict, path: tuple) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


def _pick(errors: list) -> list:
    """Of the errors of one union field, keep those of the branch the input matches."""
    if len(errors) == 1:
        return errors
    value = errors[0]["input"]
    nested = [e for e in errors if len(_clean(e["loc"])) > len(_field(e["loc"]))
              or e["type"] in ("extra_forbidden", "missing")]
    flat = [e for e in errors if e not in nested]
    if isinstance(value, dict) and nested:
        depth = max(len(e["loc"]) for e in nested)
        return [e for e in nested if len(e["loc"]) == depth][:1]
    if isinstance(value, (int, float)) and not isinstance(value, bool) and flat:
        return flat[:1]
    forms = sorted({e["loc"][len(_field(e["loc"]))] for e in errors
                    if len(e["loc"]) > len(_field(e["loc"]))})
    return [{**errors[0], "msg": f"Input should be one of the allowed forms "
             f"({', '.join(forms)})", "loc": _field(errors[0]["loc"])}]


def describe_errors(exc: ValidationError, label: str, lines: dict, context: str = ""):
    groups: dict[tuple, list] = {}
    for err in exc.errors(include_url=False):
        groups.setdefault(_field(err["loc"]), []).append(err)
    messages = []
    for _, errs in groups.items():
        for err in _pick(errs):
            path = _clean(err["loc"])
            where = _line(lines, path)
            dotted = ".".join(str(p) for p in path) or "(top level)"
            msg = err["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, "):]
            if err["type"] == "extra_forbidden":
                msg = f"unknown key {path[-1]!r}"
            elif err["type"] != "missing" and "(got" not in msg:
                msg = f"{msg} (got {_show(err['input'])})"
            head = f"{label}:{where}" if where else label
            line = f"{head}: {context}{dotted}: {msg}"
            if line not in messages:
                messages.append(line)
    return messages
