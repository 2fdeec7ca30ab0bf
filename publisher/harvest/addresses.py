"""Where ``cmq harvest`` may connect: public addresses only, unless an allow-list says otherwise;
and no credentials in a URL.

Contract: :func:`check_url` refuses anything but an absolute ``http(s)`` URL with a host and
without user information (``http://user:pass@host/`` is refused: harvest never sends, prints nor
stores credentials; the URL is reported with them removed, :func:`redact`).
:meth:`AddressPolicy.resolve` resolves a host (``getaddrinfo``) and returns one address to
connect to, after checking *every* address the name resolves to: a global unicast address, or
one inside a network of the allow-list (``--allow-address 127.0.0.1``, ``10.0.0.0/8``…).
Loopback, private ranges, link-local (cloud metadata), shared, reserved, multicast and
unspecified addresses are refused by default, IPv4-mapped IPv6 addresses as their IPv4 form.
The fetcher connects to the address checked (no second resolution: a name cannot be re-pointed
between the check and the connection) and checks every redirect hop the same way.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from publisher.core.errors import CmqError

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
SCHEMES = ("http", "https")


class AddressRefused(CmqError):
    """A URL or an address harvest must not use; ``reason`` is a harvest reason code."""

    status = 400

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.detail = message


BAD_SCHEME, CREDENTIALS, FORBIDDEN_ADDRESS, UNRESOLVED = (
    "bad-scheme", "credentials-in-url", "forbidden-address", "unreachable")


def redact(url: str) -> str:
    """``url`` without its user information (what may be printed or stored)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def check_url(url: str) -> None:
    """Refuse a non-``http(s)`` URL, one without a host, and one carrying credentials."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES or not parts.hostname:
        raise AddressRefused(BAD_SCHEME, "seuls http et https sont acceptés / only http and "
                             f"https URLs are accepted (scheme {parts.scheme or 'none'!r})")
    if "@" in parts.netloc:
        raise AddressRefused(CREDENTIALS, "identifiants dans l'URL refusés : ils ne sont ni "
                             "envoyés ni enregistrés / credentials in a URL are refused: they are "
                             "never sent, printed or stored")


def _plain(ip: IpAddress) -> IpAddress:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


@dataclass(frozen=True)
class AddressPolicy:
    """Public addresses, plus the networks of ``allow``."""

    allow: tuple[IpNetwork, ...] = ()

    @classmethod
    def of(cls, allowed: Iterable[str]) -> AddressPolicy:
        """From addresses or networks as text (``127.0.0.1``, ``10.1.0.0/16``, ``::1``)."""
        try:
            return cls(tuple(ipaddress.ip_network(a.strip(), strict=False) for a in allowed))
        except ValueError as exc:
            raise AddressRefused(FORBIDDEN_ADDRESS, f"adresse autorisée invalide / invalid "
                                 f"allowed address: {exc}") from exc

    def allows(self, ip: IpAddress) -> bool:
        forms = {ip, _plain(ip)}
        if any(f in net for f in forms for net in self.allow if net.version == f.version):
            return True
        ip = _plain(ip)
        return ip.is_global and not ip.is_multicast

    def resolve(self, host: str, port: int) -> str:
        """One address of ``host`` to connect to, all of them checked (see the module)."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise AddressRefused(UNRESOLVED, f"nom introuvable / cannot resolve {host}: "
                                 f"{exc}") from exc
        found = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
        refused = sorted({str(ip) for ip in found if not self.allows(ip)})
        if refused or not found:
            raise AddressRefused(FORBIDDEN_ADDRESS, f"{host} → {', '.join(refused) or '?'}: "
                                 "adresse non publique refusée (--allow-address pour l'autoriser) "
                                 "/ non-public address refused (allow it with --allow-address)")
        return str(found[0])
