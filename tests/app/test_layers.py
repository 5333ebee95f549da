"""The engine, the models and the scenarios know nothing of the app's libraries."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP_LIBRARIES = {"panel", "hvplot", "holoviews", "bokeh", "param", "playwright"}


def test_no_app_library_below_apps():
    found = []
    for package in ("sim", "models", "scenarios"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                found += [f"{path.relative_to(ROOT)}: {n}" for n in names
                          if n.split(".")[0] in APP_LIBRARIES]
    assert found == []
