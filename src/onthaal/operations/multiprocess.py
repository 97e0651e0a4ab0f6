"""Where the processes of an install keep their metrics (prometheus_client's multiprocess
mode, see ``onthaal.operations.metrics``). This module imports no part of prometheus_client:
``onthaal.cli`` calls it before the first import, which decides the mode."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# The commands whose processes count into the shared directory.
COMMANDS = {"serve", "worker", "demo"}


def metrics_dir(environ: Mapping[str, str] | None = None) -> Path:
    """ONTHAAL_METRICS_DIR, default ``<ONTHAAL_DATA_DIR>/metrics``."""
    env = os.environ if environ is None else environ
    explicit = env.get("ONTHAAL_METRICS_DIR", "")
    if explicit:
        return Path(explicit).resolve()
    return Path(env.get("ONTHAAL_DATA_DIR", "var")).resolve() / "metrics"


def enable(command: str) -> None:
    """For ``serve``, ``worker`` and ``demo``: count into the install's metrics directory
    (created for this user only), after removing the files of processes that ended.
    ``ONTHAAL_METRICS_MULTIPROCESS=0`` keeps each process's counts its own."""
    if command not in COMMANDS or os.environ.get("ONTHAAL_METRICS_MULTIPROCESS", "1") == "0":
        return
    if os.environ.get(VARIABLE):  # set by the parent (demo, uvicorn) or the administrator
        directory = Path(os.environ[VARIABLE])
    else:
        directory = metrics_dir()
        os.environ[VARIABLE] = str(directory)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    remove_files_of_ended_processes(directory)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process with that number: keep its files
        return True
    return True


def remove_files_of_ended_processes(directory: Path) -> int:
    """Remove the files (``counter_1234.db``, ``histogram_1234.db``...) of processes that no
    longer run. Returns how many. A counter then falls back when a process restarts, which
    Prometheus's ``rate()`` reads as a reset."""
    removed = 0
    for path in directory.glob("*.db"):
        pid_text = path.stem.rpartition("_")[2]
        if pid_text.isdigit() and not _alive(int(pid_text)):
            path.unlink(missing_ok=True)
            removed += 1
    return removed
