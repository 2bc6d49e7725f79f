"""Rotation generators: `random:N` (N characters drawn from the OS's CSPRNG) or a command whose stdout is the value."""

from __future__ import annotations

import re
import secrets as random_source
import shlex
import string
import subprocess
from dataclasses import dataclass

from stageward.errors import BadInput, CheckFailed
from stageward.secrets.names import check_value, strip_one_newline

ALPHABET = string.ascii_letters + string.digits  # safe in URLs, shells, YAML and connection strings
_RANDOM = re.compile(r"^random:(\d{1,9})$")
MIN_RANDOM, MAX_RANDOM = 16, 4096
COMMAND_TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class Generator:
    """How a secret makes its next value."""

    kind: str  # "random" | "command"
    length: int = 0
    command: tuple[str, ...] = ()

    @property
    def spec(self) -> str:
        return f"random:{self.length}" if self.kind == "random" else shlex.join(self.command)

    def generate(self) -> str:
        if self.kind == "random":
            return "".join(random_source.choice(ALPHABET) for _ in range(self.length))
        return _run_command(self.command)


def parse_generator(text: str) -> Generator:
    """`random:32` or a command line (split as a shell would, run without a shell)."""
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
    try:
        argv = tuple(shlex.split(spec))
    except ValueError as exc:
        raise BadInput(f"--rotate-with: cannot split the command ({exc})") from None
    if not argv:
        raise BadInput("--rotate-with is empty: expected random:N or a command that prints the new value")
    return Generator("command", command=argv)


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
