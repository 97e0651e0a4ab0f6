"""The client's address: X-Forwarded-For is believed only from configured proxies."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from onthaal.core import client


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(
    ("remote", "forwarded", "allowed", "expected"),
    [
        # Anyone else's header is ignored: the connection's address counts.
        ("203.0.113.5", "198.51.100.1", ["127.0.0.1"], "203.0.113.5"),
        ("203.0.113.5", "1.2.3.4, 127.0.0.1", ["127.0.0.1"], "203.0.113.5"),
        # From the trusted proxy: the last address it appended.
        ("127.0.0.1", "198.51.100.1", ["127.0.0.1"], "198.51.100.1"),
        # A spoofed first hop is not believed: the proxy appended the real one.
        ("127.0.0.1", "6.6.6.6, 198.51.100.1", ["127.0.0.1"], "198.51.100.1"),
        # A chain of trusted proxies (a network): the first untrusted from the right.
        ("10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.9", ["10.0.0.0/8"], "198.51.100.1"),
        # Every hop trusted: the leftmost.
        ("10.0.0.2", "10.0.0.7, 10.0.0.9", ["10.0.0.0/8"], "10.0.0.7"),
        # Garbage in the header: no hop beyond it is believed.
        ("127.0.0.1", "198.51.100.1, not-an-ip", ["127.0.0.1"], "127.0.0.1"),
        # Ports and brackets as some proxies write them.
        ("127.0.0.1", "198.51.100.1:5555", ["127.0.0.1"], "198.51.100.1"),
        ("127.0.0.1", "[2001:db8::1]:443", ["127.0.0.1"], "2001:db8::1"),
        # No proxy configured: nobody's header counts.
        ("127.0.0.1", "198.51.100.1", [], "127.0.0.1"),
        # "*" believes any proxy.
        ("203.0.113.5", "198.51.100.1", ["*"], "198.51.100.1"),
        # IPv4 written as IPv6 is the same address.
        ("::ffff:127.0.0.1", "198.51.100.1", ["127.0.0.1"], "198.51.100.1"),
    ],
)
def test_the_client_address_believes_only_trusted_proxies(
    settings, remote, forwarded, allowed, expected
):
    settings.FORWARDED_ALLOW_IPS = allowed
    assert client.address(_request(remote, forwarded)) == expected


def test_a_request_without_an_address_has_none(settings):
    request = RequestFactory().get("/")
    request.META.pop("REMOTE_ADDR", None)
    assert client.address(request) is None
    request.META["REMOTE_ADDR"] = "not an address"
    assert client.address(request) is None
