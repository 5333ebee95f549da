"""Sizes and strategies shared by the app's tests, importable by a unique name (two
test folders have a conftest, so `from conftest import` would be ambiguous)."""

SMALL = dict(customers=600, years=0.5, reps=2, seed=11)
STRATEGIES = ["baseline", "retention_plus", "crm_programme"]


def drop(dropper, name: str, data: bytes, mime: str, chunk: int = 3) -> None:
    """A file dropped on a FileDropper, in the upload events its browser side sends
    (chunks of `chunk` bytes, the browser's MIME type)."""
    from types import SimpleNamespace

    total = max(1, -(-len(data) // chunk))
    for i in range(total):
        dropper._process_event(SimpleNamespace(event_name="upload_event", data=dict(
            name=name, chunk=i + 1, total_chunks=total, type=mime,
            data=data[i * chunk:(i + 1) * chunk])))


def remove(dropper, name: str) -> None:
    """The file's cross in the dropper's list pressed."""
    from types import SimpleNamespace

    dropper._process_event(SimpleNamespace(event_name="delete_event", data=dict(name=name)))
