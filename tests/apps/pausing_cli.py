"""`snowball ARGS` that pauses in the middle of writing its results, so a test can
interrupt it exactly there: after the first Parquet file is written it touches the file
named by $PAUSE_FLAG and sleeps. Everything else is the real entry point."""

import os
import sys
import time
from pathlib import Path

import pandas as pd

from apps.cli import main

_write = pd.DataFrame.to_parquet


def _write_then_pause(self, path, *args, **kwargs):
    _write(self, path, *args, **kwargs)
    Path(os.environ["PAUSE_FLAG"]).write_text(str(path))
    time.sleep(300)


if __name__ == "__main__":
    pd.DataFrame.to_parquet = _write_then_pause
    sys.argv = ["snowball", *sys.argv[1:]]
    main()
