"""The address a request came from, as the audit log records it.

Behind the TLS proxy of docs/operations.md every request reaches the app from the proxy, so
REMOTE_ADDR alone would put the proxy's address on every audit event. The proxy appends the
address it saw to X-Forwarded-For; that header is believed only when the request came from a
proxy the deployment trusts (DIVERSION_TRUSTED_PROXIES), and is read from the right, past the
trusted hops, so a client cannot name an address of its choosing by sending the header itself.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(name: str, values: list[str]) -> tuple[Network, ...]:
    """Addresses or networks (CIDR) from a setting; a bad one stops start-up with its name."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {value!r} is not an IP address or network (e.g. 10.0.0.5, 10.0.0.0/24)")
    return tuple(networks)


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or, when that is a trusted proxy, the nearest
    address in X-Forwarded-For that is not a trusted proxy."""
    remote = request.META.get("REMOTE_ADDR") or None
    networks = settings.DIVERSION_TRUSTED_PROXIES
    peer = _address(remote) if remote else None
    if peer is None or not _trusted(peer, networks):
        return remote
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    address = None
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            # A hop that is no address: stop believing the header here.
            return remote
        if not _trusted(address, networks):
            break
    # The first hop not a trusted proxy; if every hop is one (an internal client), the
    # farthest; with no header, the proxy itself.
    return str(address) if address is not None else remote


def from_trusted_proxy(request) -> bool:
    """Whether the request reached the app from a proxy of DIVERSION_TRUSTED_PROXIES."""
    peer = _address(request.META.get("REMOTE_ADDR") or "")
    return peer is not None and _trusted(peer, settings.DIVERSION_TRUSTED_PROXIES)


class TrustedProxyHeadersMiddleware:
    """`X-Forwarded-Proto` is believed only from a trusted proxy, as `X-Forwarded-For` is.

    Production settings read it (SECURE_PROXY_SSL_HEADER) to know the request came over
    HTTPS; Django believes it from anyone. A client that reaches the app directly could then
    claim HTTPS (skipping the redirect, getting secure cookies over plain HTTP). First in the
    middleware, this drops the header of a request that did not come from a trusted proxy
    (attack 13)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "HTTP_X_FORWARDED_PROTO" in request.META and not from_trusted_proxy(request):
            del request.META["HTTP_X_FORWARDED_PROTO"]
        return self.get_response(request)
