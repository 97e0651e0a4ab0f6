"""The console command as a newcomer uses it: `onthaal demo` serves, Ctrl-C stops everything."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ONTHAAL = [sys.executable, "-m", "onthaal.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _embedded_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY"}}
    env.update(ONTHAAL_DATA_DIR=str(tmp_path), DEBUG="1")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).parents[1] / "src"), env.get("PYTHONPATH", "")]
    )
    return env


@pytest.mark.xdist_group("cli")
def test_load_demo_is_idempotent_and_prints_the_accounts(tmp_path):
    env = _embedded_env(tmp_path)
    first = subprocess.run(
        [*ONTHAAL, "demo", "--no-serve"], env=env, capture_output=True, text=True, timeout=120
    )
    second = subprocess.run(
        [*ONTHAAL, "load-demo"], env=env, capture_output=True, text=True, timeout=120
    )
    assert first.returncode == 0, first.stderr
    assert "Demo municipality Zonnedoorn loaded." in first.stdout
    assert "already loaded" in second.stdout
    for username in ["onthaal", "balie", "mw", "teamlead", "post", "manager", "auditor", "admin"]:
        assert f"  {username} " in second.stdout
    assert (tmp_path / "onthaal.sqlite3").exists()
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.xdist_group("cli")
def test_demo_serves_and_ctrl_c_stops_server_and_worker(tmp_path):
    env = _embedded_env(tmp_path)
    port = _free_port()
    proc = subprocess.Popen(  # the demo command with its two children
        [*ONTHAAL, "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        status = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/locations/", timeout=2) as r:
                    status = r.status
                    body = r.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert status == 200
        assert "Administratief Centrum" in body
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode is not None
    assert "Where to click" in output
    # No child survives: the process group is empty and nothing listens on the port.
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0
