"""Rotation generators: `random:N` (N characters drawn from the OS's CSPRNG) or `generator:NAME`, a command
declared by name in stageward.yaml and read from the applied policy when it runs (SPEC §3, §12).

A secret stores only the generator's name, never a command: whoever sets a secret cannot make
the admin who later runs `secrets rotate` execute something of theirs.
"""

from __future__ import annotations

import re
import secrets as random_source
import string
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from stageward.errors import BadInput, CheckFailed
from stageward.secrets.names import check_value, strip_one_newline

ALPHABET = string.ascii_letters + string.digits  # safe in URLs, shells, YAML and connection strings
_RANDOM = re.compile(r"^random:(\d{1,9})$")
_NAMED = re.compile(r"^generator:([a-z][a-z0-9-]{0,62})$")
MIN_RANDOM, MAX_RANDOM = 16, 4096
COMMAND_TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class Generator:
    """How a secret makes its next value."""

    kind: str  # "random" | "generator"
    length: int = 0
    name: str = ""

    @property
    def spec(self) -> str:
        return f"random:{self.length}" if self.kind == "random" else f"generator:{self.name}"

    def generate(self, commands: Mapping[str, Sequence[str]]) -> str:
        """The next value; a named generator runs the command COMMANDS (the applied policy) declares for it."""
        if self.kind == "random":
            return "".join(random_source.choice(ALPHABET) for _ in range(self.length))
        command = commands.get(self.name)
        if command is None:
            raise CheckFailed(f"generator {self.name!r} is not in the applied policy (generators: in stageward.yaml)")
        return _run_command(tuple(command))


def parse_generator(text: str, *, declared: Mapping[str, Sequence[str]] | None = None) -> Generator:
    """`random:32` or `generator:NAME`; with DECLARED, NAME must be one of them. A command is never accepted."""
    if not isinstance(text, str):
        raise BadInput("--rotate-with: expected random:N or generator:NAME")
    spec = text.strip()
    found = _RANDOM.fullmatch(spec)
    if found:
        length = int(found.group(1))
        if not MIN_RANDOM <= length <= MAX_RANDOM:
            raise BadInput(
                f"--rotate-with {spec!r}: expected random:N with N from {MIN_RANDOM} to {MAX_RANDOM} characters"
            )
        return Generator("random", length=length)
    if spec.startswith("random:") or spec == "random":
        shown = spec if len(spec) <= 32 else spec[:32] + "..."
        raise BadInput(f"--rotate-with {shown!r}: expected random:N, N a whole number of characters (random:32)")
    named = _NAMED.fullmatch(spec)
    if named:
        name = named.group(1)
        if declared is not None and name not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise BadInput(
                f"--rotate-with generator:{name}: no such generator in the applied policy (declared: {known})",
                hint="declare it under generators: in stageward.yaml and apply: stageward policy apply",
            )
        return Generator("generator", name=name)
    shown = spec if len(spec) <= 32 else spec[:32] + "..."
    raise BadInput(
        f"--rotate-with {shown!r}: expected random:N or generator:NAME; a command is never stored with a secret",
        hint="declare the command by name under generators: in stageward.yaml (reviewed and applied as policy)",
    )


def _run_command(argv: tuple[str, ...]) -> str:
    # Neither the command's output nor its stderr appears in any message: either may hold the value.
    name = argv[0]
    try:
        finished = subprocess.run(
            list(argv), capture_output=True, timeout=COMMAND_TIMEOUT_SECONDS, check=False, stdin=subprocess.DEVNULL
        )
    except FileNotFoundError:
        raise CheckFailed(f"rotation command {name!r} not found") from None
    except subprocess.TimeoutExpired:
        raise CheckFailed(
            f"rotation command {name!r} ran past {COMMAND_TIMEOUT_SECONDS:.0f} s and was stopped"
        ) from None
    except OSError as exc:
        raise CheckFailed(f"rotation command {name!r} could not start ({type(exc).__name__})") from None
    if finished.returncode != 0:
        raise CheckFailed(f"rotation command {name!r} exited {finished.returncode}")
    try:
        return check_value(strip_one_newline(finished.stdout))
    except BadInput as exc:
        raise CheckFailed(f"rotation command {name!r} printed no usable value: {exc.message}") from None
