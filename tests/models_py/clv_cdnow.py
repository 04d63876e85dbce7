"""The CDNOW 1/10 sample for the CLV tests: where it lives and how to load it."""

from __future__ import annotations

import gzip
from pathlib import Path

# CI checks out ../shared beside the clone, as on a developer's machine.
CDNOW = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "cdnow"
# End of the 39-week calibration period of the published fits.
CALIBRATION_END = "1997-09-30"


def sample_master_file(folder: Path) -> Path:
    """The master file's header and the rows of the 1/10 sample's customers."""
    with open(CDNOW / "CDNOW_sample.txt") as sample:
        ids = {line.split()[0] for line in sample if line.strip()}
    path = folder / "CDNOW_sample_master.txt"
    with gzip.open(CDNOW / "CDNOW_master.txt.gz", "rt") as master, open(path, "w") as out:
        out.write(next(master))
        out.writelines(line for line in master if line.split() and line.split()[0] in ids)
    return path
