"""Where a server may send webhooks (server/egress.py): every address of the destination must be public or in
a network the operator allows; link-local never; the request goes to the address that was checked."""

from __future__ import annotations

import ipaddress
import subprocess
from pathlib import Path

import pytest

from stageward.errors import BadInput
from stageward.server.egress import ALLOW_VARIABLE, RefusedDestination, allowed_networks, destination, refusal


def _networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return allowed_networks({ALLOW_VARIABLE: text})


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.215.14", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("100.64.0.1", False),  # carrier-grade NAT: shared, not public
        ("0.0.0.0", False),  # connects to the host itself on Linux
        ("224.0.0.1", False),
        ("::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback is loopback
        ("::ffff:93.184.215.14", True),
        ("169.254.169.254", False),
        ("2606:2800:220:1::", True),
    ],
)
def test_only_public_addresses_receive_by_default(address: str, allowed: bool) -> None:
    assert (refusal(ipaddress.ip_address(address), ()) is None) is allowed


def test_an_allowed_network_admits_its_own_addresses_up_to_its_last() -> None:
    networks = _networks("10.0.0.0/24, 127.0.0.1/32")
    assert refusal(ipaddress.ip_address("10.0.0.255"), networks) is None
    assert refusal(ipaddress.ip_address("10.0.1.0"), networks) is not None
    assert refusal(ipaddress.ip_address("127.0.0.1"), networks) is None
    assert refusal(ipaddress.ip_address("127.0.0.2"), networks) is not None
    assert refusal(ipaddress.ip_address("::1"), networks) is not None  # another family, another address


def test_link_local_is_refused_even_when_allowed() -> None:
    why = refusal(ipaddress.ip_address("169.254.169.254"), _networks("169.254.0.0/16"))
    assert why is not None and "link-local" in why


def test_a_bad_allow_list_names_the_variable_and_the_item() -> None:
    with pytest.raises(BadInput, match=rf"{ALLOW_VARIABLE}: '10.0.0.1/8': .*host bits set"):
        _networks("127.0.0.1/32,10.0.0.1/8")


def test_every_address_of_a_name_must_pass_and_the_checked_one_is_used() -> None:
    def two(host: str, port: int) -> list[str]:
        assert (host, port) == ("hooks.example", 443)
        return ["93.184.215.14", "10.0.0.7"]

    with pytest.raises(RefusedDestination, match="hooks.example resolves to an address that is not public"):
        destination("https://hooks.example/in", (), two)
    target = destination("https://hooks.example/in?x=1", (), lambda host, port: ["93.184.215.14"])
    assert (target.url, target.host_header, target.sni_hostname) == (
        "https://93.184.215.14/in?x=1",
        "hooks.example",
        "hooks.example",
    )


def test_a_name_is_resolved_by_the_system_and_loopback_is_refused() -> None:
    with pytest.raises(RefusedDestination, match="localhost resolves to an address that is not public"):
        destination("http://localhost:9/in", ())
    with pytest.raises(RefusedDestination, match="does not resolve"):
        destination("http://no-such-host.invalid/in", ())


def test_a_literal_address_keeps_its_port_and_brackets() -> None:
    target = destination("http://[::1]:8080/in", _networks("::1/128"))
    assert (target.url, target.host_header, target.sni_hostname) == ("http://[::1]:8080/in", "[::1]:8080", None)


def test_a_server_with_a_bad_allow_list_does_not_start(tmp_path: Path) -> None:
    from tests.server.support import STAGEWARD, base_environ, free_port

    result = subprocess.run(
        [STAGEWARD, "server", "--port", str(free_port())],
        cwd=tmp_path,
        env=base_environ({ALLOW_VARIABLE: "10.0.0.1/8"}),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr == f"error: {ALLOW_VARIABLE}: '10.0.0.1/8': 10.0.0.1/8 has host bits set\n"
