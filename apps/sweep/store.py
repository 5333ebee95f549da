"""The sweep store: a folder of Parquet part files, one per finished batch.

`DIR/sweep.json` names the spec that owns the folder (its fingerprint, its text and the
version that wrote it); `DIR/parts/part-FIRST-LAST.parquet` holds one row per
experiment and strategy: experiment, point, replication, seed, the parameter values,
strategy, the outcomes, error (null when it ran), scenario_id and version. A part is
written to a hidden temporary file and renamed into place, so a crash leaves whole
parts only, and readers (pandas, DuckDB: `read_parquet('DIR/parts/*.parquet')`) never
see a half-written one.
"""

import json
import os
from pathlib import Path

import pandas as pd

from scenarios.errors import InputError
from scenarios.sweep_spec import Levels, LoadedSpec, SweepSpec

MANIFEST = "sweep.json"
PARTS = "parts"


def arrow_schema(spec: SweepSpec, integer_params: set[str]):
    import pyarrow as pa

    fields = [("experiment", pa.int64()), ("point", pa.int64()), ("replication", pa.int32()),
              ("seed", pa.int64())]
    for path, value in spec.parameters.items():
        if isinstance(value, Levels):
            kinds = {type(v) for v in value.levels}
            kind = pa.bool_() if kinds == {bool} else pa.float64() if kinds <= {int, float} \
                else pa.string()
        else:
            kind = pa.int64() if path in integer_params else pa.float64()
        fields.append((path, kind))
    fields.append(("strategy", pa.string()))
    fields += [(o, pa.float64()) for o in spec.outcomes]
    fields += [("error", pa.string()), ("scenario_id", pa.string()), ("version", pa.string())]
    return pa.schema(fields)


class Store:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.parts = self.folder / PARTS

    @classmethod
    def check(cls, folder: Path, loaded: LoadedSpec, version: str, fresh: bool) -> None:
        """Refuse, touching nothing, a folder that holds another spec's sweep (or was
        written by another version, unless `fresh`)."""
        store = cls(folder)
        if folder.exists() and not folder.is_dir():
            raise InputError(f"--out {folder}: exists and is not a folder")
        manifest = folder / MANIFEST
        if manifest.exists():
            try:
                old = json.loads(manifest.read_text())
            except (OSError, ValueError) as e:
                raise InputError(f"--out {folder}: {MANIFEST} is unreadable ({e}); the "
                                 "folder was left as it is: use another --out") from None
            if old.get("fingerprint") != loaded.fingerprint:
                raise InputError(
                    f"--out {folder}: holds a sweep of another spec ({old.get('label')}, "
                    f"fingerprint {old.get('fingerprint')}; this spec's is "
                    f"{loaded.fingerprint}); nothing was changed: use another --out, or "
                    "remove that folder first")
            if old.get("version") != version and not fresh:
                raise InputError(f"--out {folder}: was written by snowball "
                                 f"{old.get('version')}, this is {version}; rerun with "
                                 "--fresh to start the sweep over")
        elif store.parts.exists() and any(store.parts.iterdir()):
            raise InputError(f"--out {folder}: has a {PARTS}/ folder but no {MANIFEST}; "
                             "nothing was changed: use another --out")

    @classmethod
    def open(cls, folder: Path, loaded: LoadedSpec, version: str, fresh: bool) -> "Store":
        """The store of this spec in `folder`: created, resumed, or (fresh) emptied."""
        cls.check(folder, loaded, version, fresh)
        store = cls(folder)
        manifest = folder / MANIFEST
        try:
            store.parts.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise InputError(f"--out {folder}: cannot create the folder "
                             f"({e.strerror or e})") from None
        for stale in store.parts.glob(".*.tmp"):      # a crash mid-write
            stale.unlink()
        if fresh:
            for part in store.parts.glob("*.parquet"):
                part.unlink()
        _write_atomic(manifest, json.dumps({
            "fingerprint": loaded.fingerprint, "version": version, "label": loaded.label,
            "spec": loaded.spec.model_dump(mode="json"), "spec_text": loaded.text,
            "scenario_label": loaded.scenario_label}, indent=2) + "\n")
        return store

    def finished(self) -> set[int]:
        """Experiments with a stored part (ran or failed)."""
        import pyarrow.parquet as pq

        done: set[int] = set()
        for part in self.parts.glob("*.parquet"):
            done.update(pq.read_table(part, columns=["experiment"]).column(0).to_pylist())
        return done

    def write(self, rows: list[dict], schema) -> Path:
        import pyarrow as pa
        import pyarrow.parquet as pq

        ids = [r["experiment"] for r in rows]
        path = self.parts / f"part-{min(ids):08d}-{max(ids):08d}.parquet"
        table = pa.Table.from_pylist(rows, schema=schema)
        tmp = self.parts / f".{path.name}.tmp"
        pq.write_table(table, tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
        return path


def load(folder: Path) -> pd.DataFrame:
    """Every stored row of a sweep folder, ordered by experiment and strategy."""
    folder = Path(folder)
    if not (folder / MANIFEST).is_file():
        raise InputError(f"{folder}: not a sweep folder (no {MANIFEST}); run "
                         "`snowball sweep run SPEC --out FOLDER` first")
    parts = sorted((folder / PARTS).glob("*.parquet"))
    if not parts:
        raise InputError(f"{folder}: no finished experiments yet")
    frame = pd.read_parquet(folder / PARTS)
    return frame.sort_values(["experiment", "strategy"], kind="stable").reset_index(drop=True)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
