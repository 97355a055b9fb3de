"""apps/platform/outbound.py: which addresses a webhook or chat URL may reach, checked without any network."""

import socket

import pytest

from apps.platform import outbound
from apps.webhooks import sender

REFUSED = [
    ("http://127.0.0.1/", "loopback"),
    ("http://127.8.9.10:8080/x", "loopback"),
    ("http://[::1]/", "loopback"),
    ("http://10.1.2.3/", "private"),
    ("http://172.16.0.1/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://[fd12:3456::1]/", "private"),  # ULA
    ("http://100.64.0.1/", "carrier-grade NAT"),
    ("http://169.254.1.1/", "link-local"),
    ("http://[fe80::1]/", "link-local"),
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://[fd00:ec2::254]/", "metadata"),
    ("http://224.0.0.1/", "multicast"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),  # IPv4-mapped IPv6
    ("http://240.0.0.1/", "reserved"),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_refused_addresses(url, reason, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    with pytest.raises(outbound.UnsafeURL, match=reason):
        outbound.check(url)


def test_a_public_address_is_allowed_and_keeps_its_path(settings):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    target = outbound.check("https://93.184.215.14/services/T1/B2?x=1")
    assert (target.scheme, target.port, target.path, target.address) == (
        "https",
        443,
        "/services/T1/B2?x=1",
        "93.184.215.14",
    )


def test_allow_private_lets_internal_targets_through_but_never_metadata(settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True
    assert outbound.check("http://10.0.0.5:8065/hooks/abc").address == "10.0.0.5"
    assert outbound.check("http://127.0.0.1:9/").address == "127.0.0.1"
    for url in ("http://169.254.169.254/", "http://[fd00:ec2::254]/", "http://224.0.0.1/"):
        with pytest.raises(outbound.UnsafeURL):
            outbound.check(url)


def test_a_name_is_refused_when_any_of_its_addresses_is(settings, monkeypatch):
    """A host name resolving to a public and a private address (or rebinding to one) is refused."""
    settings.OUTBOUND_ALLOW_PRIVATE = False
    answers = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, 443)) for ip in ("93.184.215.14", "10.0.0.7")]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: answers)
    with pytest.raises(outbound.UnsafeURL, match="10.0.0.7, a private address"):
        outbound.check("https://hooks.example.net/x")


def test_the_connection_goes_to_the_checked_address(settings, monkeypatch):
    """The socket connects to the address the check resolved (no second lookup a rebinding DNS could answer)."""
    settings.OUTBOUND_ALLOW_PRIVATE = False
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda *args, **kwargs: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 80))],
    )
    connected = []

    def fake_connect(address, *args, **kwargs):
        connected.append(address)
        raise OSError("no network in the test")

    monkeypatch.setattr(socket, "create_connection", fake_connect)
    result = sender.post("http://hooks.example.net/x", b"{}", {}, connect_timeout=1, read_timeout=1)
    assert connected == [("93.184.215.14", 80)] and result.status is None and "no network" in result.error


def test_unresolvable_names_scheme_and_credentials_are_refused(settings, monkeypatch):
    def no_dns(*args, **kwargs):
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with pytest.raises(outbound.UnsafeURL, match="does not resolve"):
        outbound.check("https://nowhere.invalid/")
    with pytest.raises(outbound.UnsafeURL, match="http"):
        outbound.check("ftp://93.184.215.14/")
    with pytest.raises(outbound.UnsafeURL, match="Credentials"):
        outbound.check("https://user:pw@93.184.215.14/")


def test_sender_refuses_without_connecting(settings):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    result = sender.post("http://127.0.0.1:9/", b"{}", {}, connect_timeout=1, read_timeout=1)
    assert result.status is None and result.refused and "loopback" in result.error


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("120", 120.0), ("99999", 3600.0), ("", None), ("soon", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)
def test_retry_after_parsing(header, seconds):
    assert sender.parse_retry_after(header) == seconds
