"""Where a server may send a webhook: the destination's addresses are checked when it is sent, not when it is added.

A webhook's URL is typed by anyone who may add one; without this wall, the server would post to whatever that name
resolves to: the host's loopback services, the private network behind it, a cloud's instance metadata (where the
server's own credentials live). So, at each delivery, the host name is resolved once, every address it has must
be public (`ipaddress`'s `is_global`) or inside a network the operator allows (STAGEWARD_WEBHOOK_ALLOW_NETWORKS,
comma-separated CIDRs, e.g. `10.20.0.0/16,127.0.0.1/32`), and the request goes to the address that was checked,
with the name kept in the Host header and the TLS SNI and certificate check, so a name that changes its answer
between the check and the connection (DNS rebinding) cannot slip through. Link-local addresses (169.254.0.0/16,
fe80::/10: the metadata services) are refused even inside an allowed network. The same rule as GitLab's "allow
requests to the local network from webhooks", off by default.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from stageward.errors import BadInput, Undeliverable

ALLOW_VARIABLE = "STAGEWARD_WEBHOOK_ALLOW_NETWORKS"
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# host, port -> the addresses the name has (getaddrinfo, or a test's own resolver).
Resolver = Callable[[str, int], list[str]]


class RefusedDestination(Undeliverable):
    """The destination may not receive webhooks from this server; the message says why, without the address."""


@dataclass(frozen=True)
class Destination:
    url: str  # the URL with the checked address in place of the name
    host_header: str
    sni_hostname: str | None  # for https: the name the certificate must carry


def allowed_networks(environ: Mapping[str, str]) -> tuple[Network, ...]:
    text = environ.get(ALLOW_VARIABLE, "").strip()
    if not text:
        return ()
    networks: list[Network] = []
    for item in text.split(","):
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=True))
        except ValueError as error:
            raise BadInput(f"{ALLOW_VARIABLE}: {item.strip()!r}: {error}") from None
    return tuple(networks)


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _plain(address: Address) -> Address:
    # ::ffff:127.0.0.1 reaches 127.0.0.1: judge the IPv4 address it carries.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def refusal(address: Address, allowed: Sequence[Network]) -> str | None:
    """Why ADDRESS may not receive webhooks, or None when it may."""
    address = _plain(address)
    if address.is_link_local:
        return "a link-local address (instance metadata lives there)"
    if address.is_global and not address.is_multicast:
        return None
    if any(address.version == network.version and address in network for network in allowed):
        return None
    return f"an address that is not public (allow its network with {ALLOW_VARIABLE})"


def destination(url: str, allowed: Sequence[Network], resolve: Resolver = system_resolver) -> Destination:
    """The checked destination of URL; RefusedDestination when any address its host has may not receive."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        literal: Address | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        found = [literal]
    else:
        try:
            found = [ipaddress.ip_address(text.split("%", 1)[0]) for text in resolve(host, port)]
        except OSError:
            raise RefusedDestination(f"{host}: the name does not resolve") from None
        if not found:
            raise RefusedDestination(f"{host}: the name does not resolve")
    for address in found:
        why = refusal(address, allowed)
        if why is not None:
            raise RefusedDestination(f"{host} {'is' if literal is not None else 'resolves to'} {why}")
    chosen = _plain(found[0])
    shown = f"[{chosen}]" if chosen.version == 6 else str(chosen)
    netloc = shown if parts.port is None else f"{shown}:{parts.port}"
    return Destination(
        url=urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")),
        host_header=parts.netloc.rsplit("@", 1)[-1],
        sni_hostname=host if parts.scheme == "https" and literal is None else None,
    )
