"""Code, presets and tests cite only documents the repository holds: a reader must be
able to open every `*.md` they name (the README, or the published literature by
author and year)."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CITED = re.compile(r"[A-Za-z0-9_./-]+\.md\b")


def test_every_cited_document_is_in_the_repository():
    files = subprocess.run(["git", "ls-files", "*.py", "*.yaml", "*.toml"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    assert len(files) > 50
    cited = {(name, m) for name in files
             for m in CITED.findall((ROOT / name).read_text(encoding="utf-8", errors="replace"))}
    missing = sorted((name, m) for name, m in cited
                     if not (ROOT / m).exists() and not (ROOT / name).parent.joinpath(m).exists())
    assert not missing, missing
