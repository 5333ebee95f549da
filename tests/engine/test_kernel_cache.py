"""The numba cache follows the kernel sources: a change to any file of `sim` or
`models` (not only to the file a kernel is defined in) moves it to a fresh folder."""

import numba

from sim import kernel_cache


def test_the_cache_folder_is_named_by_the_sources(tmp_path, monkeypatch):
    for name in ("sim/a.py", "models/b.py", "models/mechanics/c.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n")
    monkeypatch.setattr(kernel_cache, "ROOT", tmp_path)
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    first = kernel_cache.cache_dir()
    assert first.startswith(str(tmp_path / ".numba_cache" / "snowball-"))
    (tmp_path / "models/mechanics/c.py").write_text("x = 2\n")   # a file no kernel is in
    second = kernel_cache.cache_dir()
    assert second != first
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert kernel_cache.cache_dir() == str(tmp_path / "elsewhere" / second.rsplit("/", 1)[1])


def test_numba_uses_it():
    assert numba.config.CACHE_DIR == kernel_cache.cache_dir()
