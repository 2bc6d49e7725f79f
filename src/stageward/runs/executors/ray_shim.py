"""The entrypoint of a Ray job: STAGEWARD_CONFIG_CONTENT becomes a 0600 memfd STAGEWARD_CONFIG, then the command.

The command replaces this process (exec), so it keeps the pid and the open memfd the config path names, and the
variable holding the config is gone from its environment.
"""

from __future__ import annotations

import base64
import os
import sys


def main(argv: list[str]) -> int:
    command = argv[1:] if argv[:1] == ["--"] else argv
    if not command:
        sys.stderr.write("stageward ray_shim: no command\n")
        return 2
    environ = dict(os.environ)
    content = base64.b64decode(environ.pop("STAGEWARD_CONFIG_CONTENT", ""))
    descriptor = os.memfd_create("stageward-config", 0)  # inheritable: the command keeps it across exec
    os.fchmod(descriptor, 0o600)
    os.write(descriptor, content)
    environ["STAGEWARD_CONFIG"] = f"/proc/{os.getpid()}/fd/{descriptor}"
    try:
        os.execvpe(command[0], command, environ)
    except OSError as exc:
        sys.stderr.write(f"stageward: command not found: {command[0]}: {exc.strerror}\n")
        return 127
    return 0  # not reached: exec replaced this process


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
