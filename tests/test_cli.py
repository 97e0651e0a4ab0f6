"""The console command as a newcomer uses it: `onthaal demo` serves, Ctrl-C stops everything."""

from __future__ import annotations

import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
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
@pytest.mark.parametrize(
    "stop",
    [
        pytest.param(lambda pid: os.killpg(pid, signal.SIGINT), id="ctrl-c"),  # the terminal
        pytest.param(lambda pid: os.kill(pid, signal.SIGTERM), id="term"),  # a service manager
    ],
)
def test_demo_serves_and_ctrl_c_or_term_stops_server_and_worker(tmp_path, stop):
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
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True)
    reader.start()
    last = f"Onthaal Zonnedoorn runs on http://127.0.0.1:{port}/ — Ctrl-C stops it.\n"
    mail = tmp_path / "sent-mail"
    try:
        status = None
        deadline = time.monotonic() + 240  # migrate and load the demo on a busy machine
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
        # The instructions come once the server answers and the figures are loaded; then the
        # worker runs the demo's tasks (its documents' text) and sends its e-mails.
        while time.monotonic() < deadline and not (
            last in lines and len(list(mail.glob("*"))) >= 10
        ):
            time.sleep(0.5)
        time.sleep(3)  # the worker's next rounds, which print nothing either
        before_stop = "".join(lines)
        stop(proc.pid)
        proc.wait(timeout=30)
        reader.join(timeout=10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode is not None
    output = "".join(lines)
    # What a person needs is the last thing on the screen: the accounts, the enrolment
    # links, where to click, where the e-mails are; no line per task, no e-mail printed.
    assert before_stop.endswith(last), before_stop[-2000:]
    block = before_stop[before_stop.index("Demo accounts") :]
    for needed in [
        "  balie ",
        "screen-ac-1",
        "Where to click",
        f"E-mails the demo sends: one .eml file each in {mail}/",
    ]:
        assert needed in block
    for routine in [
        "task enqueued",
        "task finished",
        "Task id=",
        "Starting worker",
        "Subject:",
        "Uvicorn running",
    ]:
        assert routine not in output
    # One file per e-mail, a whole message with links to the port the demo serves on.
    sent = sorted(mail.glob("*.eml"))
    assert len(sent) >= 10
    message = email.message_from_bytes(sent[0].read_bytes(), policy=email.policy.default)
    assert message["Subject"] and message["To"].addresses
    assert f"http://127.0.0.1:{port}/e-loket/" in message.get_content()
    # No child survives: the process group is empty and nothing listens on the port.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0


def _bare_env(**extra: str) -> dict[str, str]:
    """The environment of an operator's shell: no Onthaal variable but those given."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "SECRET_KEY", "ONTHAAL_DATA_DIR", "DEBUG", "REDIS_URL"}
        # Set by the browser tests' live server in this worker's process: no operator has it.
        and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).parents[1] / "src"), env.get("PYTHONPATH", "")]
    )
    env.update(extra)
    return env


def test_audit_verify_on_an_empty_data_dir_says_so_in_one_line_and_creates_nothing(tmp_path):
    result = subprocess.run(
        [*ONTHAAL, "audit", "verify"],
        cwd=tmp_path,
        env=_bare_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "no Onthaal database at" in result.stderr
    assert str(tmp_path / "var" / "onthaal.sqlite3") in result.stderr
    assert list(tmp_path.iterdir()) == []  # no ./var


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgres://postgres@127.0.0.1:1/onthaal", "cannot connect to the database"),
        ("postgres://postgres@192.0.2.1:5432/onthaal", "cannot connect to the database"),
        ("foo://bar", "DATABASE_URL is not a database URL"),
    ],
)
def test_a_broken_database_url_is_one_line_without_waiting(tmp_path, url, says):
    started = time.monotonic()
    result = subprocess.run(
        [*ONTHAAL, "migrate"],
        cwd=tmp_path,
        env=_bare_env(DATABASE_URL=url, SECRET_KEY="x" * 50, DB_CONNECT_TIMEOUT="2"),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.stderr
    assert time.monotonic() - started < 20  # not the pool's 30 s wait


def test_the_data_dir_and_the_sqlite_file_are_created_for_their_owner_only(tmp_path):
    data = tmp_path / "new" / "var"
    result = subprocess.run(
        [*ONTHAAL, "check"],
        env=_bare_env(ONTHAAL_DATA_DIR=str(data)),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert data.stat().st_mode & 0o777 == 0o700
    assert (data / "onthaal.sqlite3").stat().st_mode & 0o777 == 0o600
    assert (data / "secret_key").stat().st_mode & 0o777 == 0o600


# The settings of a server install as the README's "Server install" gives them.
SERVER_INSTALL = {
    "DEBUG": "0",
    "SECRET_KEY": "a-long-random-secret-key-of-fifty-or-more-characters-0123456789",
    "ALLOWED_HOSTS": "onthaal.zonnedoorn.be",
    "CSRF_TRUSTED_ORIGINS": "https://onthaal.zonnedoorn.be",
    "BEHIND_TLS_PROXY": "1",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
}


def test_check_deploy_is_clean_for_a_server_install_with_the_documented_settings(tmp_path):
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    for name in SERVER_INSTALL:
        assert name in readme, f"{name} is not in the README's server install"
    result = subprocess.run(
        [*ONTHAAL, "check", "--deploy", "--fail-level", "WARNING"],
        env=_bare_env(ONTHAAL_DATA_DIR=str(tmp_path), **SERVER_INSTALL),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_readme_says_what_make_test_needs_besides_python():
    quick_start = (Path(__file__).parents[1] / "README.md").read_text().split("## What is here")[0]

    assert "`make test` also needs a Redis server" in quick_start
    assert "Chromium" in quick_start
