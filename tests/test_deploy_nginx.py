"""The server install of docs/install.md, for real: Debian's nginx with deploy/nginx/onthaal.conf
(only its names, ports and paths replaced) and a self-signed certificate, in front of
``onthaal serve --workers 2`` (two app processes, Redis between them), on the test's database
(PostgreSQL when DATABASE_URL is set, else SQLite).

Through TLS: pages, static files (from disk, by nginx) and the API answer; a screen's event
stream receives a desk's call within a second; the audit log records the client's own address
(the client connects from 127.0.0.2, nginx from 127.0.0.1, and a forged X-Forwarded-For is not
believed); HSTS and the Content-Security-Policy are present; plain http is sent to https."""

from __future__ import annotations

import datetime as dt
import getpass
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("nginx")]

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "deploy" / "nginx" / "onthaal.conf"
PROXY = ROOT / "deploy" / "nginx" / "nginx-proxy.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
HOST = "onthaal.test"
CLIENT_ADDRESS = "127.0.0.2"  # the citizen's or clerk's machine; nginx talks from 127.0.0.1


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return f"sqlite:///{s['NAME']}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for onthaal.test and 127.0.0.1 (the cryptography package)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = dt.datetime.now(tz=dt.UTC)
    import ipaddress

    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(HOST), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _site(
    *, http_port: int, https_port: int, app_port: int, static: Path, cert: Path, key: Path
) -> str:
    """deploy/nginx/onthaal.conf with this test's names, ports and paths: each replaced text
    must be in the file, so the test follows it."""
    text = SITE.read_text()
    replacements = {
        "    listen 80;\n": f"    listen 127.0.0.1:{http_port};\n",
        "    listen [::]:80;\n": "",
        "    listen 443 ssl http2;\n": f"    listen 127.0.0.1:{https_port} ssl http2;\n",
        "    listen [::]:443 ssl http2;\n": "",
        "server_name onthaal.zonnedoorn.be;": f"server_name {HOST} 127.0.0.1;",
        "/etc/ssl/onthaal/fullchain.pem": str(cert),
        "/etc/ssl/onthaal/privkey.pem": str(key),
        "alias /var/lib/onthaal/static/;": f"alias {static}/;",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{app_port};",
        "include /etc/onthaal/nginx-proxy.conf;": f"include {PROXY};",
        "return 301 https://$host$request_uri;": (
            f"return 301 https://$host:{https_port}$request_uri;"
        ),
    }
    for old, new in replacements.items():
        assert old in text, f"deploy/nginx/onthaal.conf no longer has {old!r}"
        text = text.replace(old, new)
    return text


def _nginx_conf(prefix: Path, site: str) -> str:
    # As root, nginx's workers would run as nobody, who cannot read the test's files.
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    return (
        f"{user}worker_processes 1;\n"
        f"pid {prefix}/nginx.pid;\n"
        f"error_log {prefix}/error.log warn;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        "  include /etc/nginx/mime.types;\n"
        "  default_type application/octet-stream;\n"
        f"  access_log {prefix}/access.log;\n"
        f"  client_body_temp_path {prefix}/client_body;\n"
        f"  proxy_temp_path {prefix}/proxy;\n"
        f"  fastcgi_temp_path {prefix}/fastcgi;\n"
        f"  uwsgi_temp_path {prefix}/uwsgi;\n"
        f"  scgi_temp_path {prefix}/scgi;\n"
        f"{site}\n"
        "}\n"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


@pytest.fixture
def install(tmp_path: Path) -> Iterator[dict[str, Any]]:
    from onthaal.queue import broker

    data = tmp_path / "data"
    https_port, http_port, app_port = _free_port(), _free_port(), _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": REDIS_URL,
        "ONTHAAL_INSTALL_PREFIX": broker.channel_for(0).rsplit(":", 2)[0],
        "SECRET_KEY": "tests-only-" + "x" * 50,
        "DEBUG": "0",
        "DB_POOL": "0",
        "ONTHAAL_DATA_DIR": str(data),
        "ALLOWED_HOSTS": f"{HOST},127.0.0.1",
        "CSRF_TRUSTED_ORIGINS": f"https://{HOST}:{https_port}",
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
        "BEHIND_TLS_PROXY": "1",
        "SECURE_SSL_REDIRECT": "1",
        "SECURE_HSTS_SECONDS": "31536000",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    collected = subprocess.run(
        [sys.executable, "-m", "onthaal.cli", "collectstatic", "--noinput", "-v", "0"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collected.returncode == 0, collected.stderr
    static = data / "static"

    prefix = tmp_path / "nginx"
    prefix.mkdir()
    cert, key = _certificate(prefix)
    site = _site(
        http_port=http_port,
        https_port=https_port,
        app_port=app_port,
        static=static,
        cert=cert,
        key=key,
    )
    (prefix / "nginx.conf").write_text(_nginx_conf(prefix, site))
    checked = subprocess.run(
        [NGINX, "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stderr

    app = subprocess.Popen(
        [sys.executable, "-m", "onthaal.cli", "serve", "--port", str(app_port), "--workers", "2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    nginx = subprocess.Popen(
        [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    context = ssl.create_default_context(cafile=str(cert))
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if _request(https_port, context, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.3)
        else:
            raise AssertionError("nginx and the app did not answer within 120 s")
        yield {
            "https": https_port,
            "http": http_port,
            "context": context,
            "static": static,
            "prefix": prefix,
        }
    finally:
        _stop(nginx)
        _stop(app)


def _request(
    port: int,
    context: ssl.SSLContext,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPSConnection(
        "127.0.0.1", port, context=context, timeout=10, source_address=(CLIENT_ADDRESS, 0)
    )
    try:
        conn.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


class Screen:
    """A waiting-room screen on the event stream, through nginx and TLS."""

    def __init__(self, port: int, context: ssl.SSLContext, location_id: int) -> None:
        self.events: list[tuple[float, str, dict[str, Any]]] = []
        raw = socket.create_connection(("127.0.0.1", port), timeout=30)
        self._socket = context.wrap_socket(raw, server_hostname=HOST)
        self._socket.sendall(
            f"GET /api/v1/locations/{location_id}/events/ HTTP/1.1\r\nHost: {HOST}\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        self.head = b""
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        name = ""
        with self._socket.makefile("rb") as stream:
            for raw in stream:
                line = raw.decode(errors="replace").rstrip("\r\n")
                if not self.events and not name:
                    self.head += raw
                if line.startswith("event: "):
                    name = line.removeprefix("event: ")
                elif line.startswith("data: ") and name:
                    data = json.loads(line.removeprefix("data: "))
                    self.events.append((time.monotonic(), name, data))
                    name = ""

    def wait_for(self, name: str, timeout: float = 15) -> tuple[float, dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, event, data in self.events:
                if event == name:
                    return at, data
            time.sleep(0.01)
        raise AssertionError(f"no {name!r} event within {timeout} s: {self.events}")

    def close(self) -> None:
        self._socket.close()


def test_nginx_with_tls_in_front_of_two_app_processes(install) -> None:
    from onthaal.accounts.services.tokens import token_create
    from onthaal.audit.models import AuditEvent
    from onthaal.demo import zonnedoorn
    from onthaal.queue.models import Queue
    from tests.concurrency.conftest import issue_tickets, open_desk

    port, context = install["https"], install["context"]

    # Plain http is sent to https.
    plain = http.client.HTTPConnection("127.0.0.1", install["http"], timeout=10)
    plain.request("GET", "/locations/", headers={"Host": HOST})
    redirect = plain.getresponse()
    assert redirect.status == 301
    assert redirect.getheader("Location") == f"https://{HOST}:{port}/locations/"
    plain.close()

    zonnedoorn.load()

    # A page through TLS: HSTS and the Content-Security-Policy.
    status, headers, body = _request(port, context, "GET", "/locations/")
    assert status == 200, body[:300]
    assert "Administratief Centrum" in body.decode()
    assert headers["strict-transport-security"].startswith("max-age=31536000")
    assert "default-src 'self'" in headers["content-security-policy"]
    assert len(headers["x-request-id"]) == 32  # nginx's $request_id, passed to the app

    # A static file, from disk by nginx (its cache headers), with HSTS too.
    css = next(p for p in sorted(install["static"].rglob("*.css")) if p.suffix == ".css")
    status, headers, body = _request(
        port, context, "GET", f"/static/{css.relative_to(install['static'])}"
    )
    assert status == 200 and body == css.read_bytes()
    assert headers["cache-control"] == "public" and "expires" in headers
    assert headers["strict-transport-security"].startswith("max-age=31536000")

    # The API through TLS.
    status, headers, body = _request(port, context, "GET", "/api/v1/locations/")
    assert status == 200
    assert "administratief-centrum" in body.decode()
    assert headers["strict-transport-security"].startswith("max-age=31536000")

    # /metrics is not for the internet: nginx refuses it from the client's address.
    assert _request(port, context, "GET", "/metrics")[0] == 403

    # A screen (connected through nginx to one of the two app processes) gets a desk's call,
    # made through nginx by the API, within a second.
    queue = Queue.objects.select_related("location", "department").get(
        location__slug="administratief-centrum", prefix="B"
    )
    issue_tickets(queue, 1)
    desk, agent = open_desk(queue, "Balie achter nginx")
    _, secret = token_create(actor=None, user=agent, name="nginx-test")
    screen = Screen(port, context, queue.location_id)
    try:
        screen.wait_for("state")
        assert b"200 OK" in screen.head.split(b"\r\n", 1)[0]
        time.sleep(0.5)  # both app processes subscribed (the other one's screens may be none)
        sent = time.monotonic()
        status, headers, body = _request(
            port,
            context,
            "POST",
            f"/api/v1/desks/{desk.pk}/call-next/",
            headers={
                "Authorization": f"Token {secret}",
                "Content-Type": "application/json",
                "X-Forwarded-For": "198.51.100.66",  # forged by the client: not believed
            },
            body=b"{}",
        )
        answered = time.monotonic()
        assert status == 200, body
        called = json.loads(body)
        at, event = screen.wait_for("ticket", timeout=5)
        assert (event["type"], event["code"]) == ("called", called["code"])
        # Within a second of the desk's answer (the call committed); the whole round trip,
        # TLS handshake of the desk's request included, is bounded loosely on a shared machine.
        assert at - answered < 1.0, (at - answered, at - sent)
        assert at - sent < 5.0, at - sent
    finally:
        screen.close()

    # The audit log has the client's own address, not nginx's nor the forged one, and the
    # request id nginx gave the request.
    event = AuditEvent.objects.get(
        object_type="queue.ticket", object_id=str(called["id"]), details__transition="call"
    )
    assert event.ip == CLIENT_ADDRESS
    assert event.request_id == headers["x-request-id"]
