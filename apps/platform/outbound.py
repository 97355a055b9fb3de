"""Where the portal may send HTTP requests it is told to send (webhook endpoints, chat channels, Slack's URLs).

A URL an admin or a team lead typed must not turn the worker into a proxy into our own network (SSRF): the host
is resolved and every address it resolves to is checked. Refused: loopback, link-local, private (RFC 1918, ULA),
CGNAT (100.64/10), multicast, unspecified and reserved addresses. ``OUTBOUND_ALLOW_PRIVATE=true`` lets a
self-hosted target on the internal network through (a Mattermost on 10.0.0.5, the tests' 127.0.0.1 receivers),
but never the cloud metadata addresses, which hand out credentials.

The check runs when the URL is saved (a clear form error) and again before each request, and the request then
connects to the address that was checked (apps.webhooks.sender), so a DNS answer that changes between the check
and the connect (DNS rebinding) cannot redirect it. Redirects are never followed.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

# Cloud instance metadata (AWS, GCP, Azure, OpenStack; AWS's IPv6 one): refused even when private targets are allowed.
METADATA_ADDRESSES = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),
        ipaddress.ip_address("fd00:ec2::254"),
        ipaddress.ip_address("100.100.100.200"),
    }
)
CGNAT = ipaddress.ip_network("100.64.0.0/10")
SCHEMES = ("http", "https")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeURL(ValueError):
    """The URL may not be called; the message says why, for a form error or a delivery's attempt log."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query string
    address: str  # the checked IP to connect to


def refusal(address: IPAddress, *, allow_private: bool) -> str:
    """Why a request to ``address`` is refused, e.g. "a loopback address" ('' when it is allowed)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return refusal(address.ipv4_mapped, allow_private=allow_private)
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_unspecified:
        return "the unspecified address"
    if allow_private:
        return ""
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if isinstance(address, ipaddress.IPv4Address) and address in CGNAT:
        return "a carrier-grade NAT (shared) address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "a reserved address"
    return ""


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURL(f"The host {host} does not resolve ({exc}).") from exc
    addresses = []
    for info in infos:
        # Strip an IPv6 zone ("fe80::1%eth0") before parsing: the address alone decides.
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeURL(f"The host {host} does not resolve.")
    return addresses


def check(url: str, *, allow_private: bool | None = None) -> Target:
    """The checked target of ``url``, or UnsafeURL. Every address the host resolves to must be allowed (a name
    with one public and one private address is refused: which one a client picks is not ours to choose)."""
    allow = settings.OUTBOUND_ALLOW_PRIVATE if allow_private is None else allow_private
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"Not a valid URL: {exc}.") from exc
    if parts.scheme not in SCHEMES:
        raise UnsafeURL("Give an http:// or https:// URL.")
    if not parts.hostname:
        raise UnsafeURL("The URL has no host.")
    if parts.username or parts.password:
        raise UnsafeURL("Credentials in the URL are not allowed; use the URL's own token or a secret.")
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = _resolve(parts.hostname, port)
    for address in addresses:
        reason = refusal(address, allow_private=allow)
        if reason:
            hint = "" if allow else " (OUTBOUND_ALLOW_PRIVATE=true allows private targets)"
            raise UnsafeURL(f"Refused: {parts.hostname} resolves to {address}, {reason}{hint}.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme=parts.scheme, host=parts.hostname, port=port, path=path, address=str(addresses[0]))


def validate_url(url: str) -> None:
    """For model ``clean()`` and forms: a ValidationError with the reason."""
    try:
        check(url)
    except UnsafeURL as exc:
        raise ValidationError(str(exc)) from exc
