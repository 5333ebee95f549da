"""Screenshots of the browser tests, kept as artifacts (a unique module name: two test
folders have a conftest)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"


def shot(page, name: str) -> Path:
    """A screenshot kept as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
