"""The address of the client behind a request: the one place that reads it.

Rate limits, the audit log, login lockout and booking holds all ask :func:`address`. A
``X-Forwarded-For`` header is believed only when the connection comes from a proxy listed in
``settings.FORWARDED_ALLOW_IPS`` (addresses or networks, ``*`` for any); anyone else could
write any address into it and get past a limit or into the audit log under another name.
The header is read from the right: each trusted proxy appended the address it saw, so the
first untrusted address from the right is the client (what uvicorn does with the same list,
``onthaal serve`` passes it on).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _trusted(spec: tuple[str, ...]) -> tuple[bool, tuple[Network, ...]]:
    """(trust any, trusted networks) for the configured list; an entry that is no address or
    network is ignored (``settings`` checks it at start-up)."""
    if "*" in spec:
        return True, ()
    networks: list[Network] = []
    for item in spec:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            continue
    return False, tuple(networks)


def _parse(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = text.strip()
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # 192.0.2.1:443
        value = value.split(":", 1)[0]
    try:
        found = ipaddress.ip_address(value)
    except ValueError:
        return None
    mapped = getattr(found, "ipv4_mapped", None)
    return mapped or found


def is_trusted(text: str, spec: tuple[str, ...] | None = None) -> bool:
    """Is ``text`` the address of a proxy whose forwarded headers we believe?"""
    always, networks = _trusted(tuple(settings.FORWARDED_ALLOW_IPS if spec is None else spec))
    if always:
        return True
    found = _parse(text)
    return found is not None and any(found in network for network in networks)


def address(request: HttpRequest) -> str | None:
    """The client's IP address (normalised text), or None when the request has none."""
    peer = _parse(request.META.get("REMOTE_ADDR") or "")
    if peer is None:
        return None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not forwarded or not is_trusted(str(peer)):
        return str(peer)
    hops = [part for part in forwarded.split(",") if part.strip()]
    client = peer
    for hop in reversed(hops):
        found = _parse(hop)
        if found is None:
            break  # garbage in the header: believe no hop beyond it
        client = found
        if not is_trusted(str(found)):
            break
    return str(client)
