"""A forked launcher joins its caller's cgroups before it answers: a cold launcher would run in them, so the limits,
accounting and freezing its caller is under (a Slurm job step, a `systemd-run --scope -p MemoryMax=`, a CI job's
group) hold for a warm run too. A fork that cannot join them tells its caller to start cold.

The caller's cgroups are read from /proc/<caller>/cgroup by the warm launcher (pinned to the caller, with the rest
of its identity), never taken from the request; the launcher has already required the same cgroup namespace, so a
path means the same group on both sides. Paths are mapped to where each hierarchy is mounted by reading
/proc/self/mountinfo: cgroup v2 (`0::/path`), v1 controllers (`4:memory:/path`, `2:cpu,cpuacct:/path`, named
hierarchies such as `1:name=systemd:/path`), and a hybrid of both. Written by hand: no library the project uses
does this, and psutil would be a dependency for twenty lines.
"""

from __future__ import annotations

import os
import re

Hierarchy = frozenset[str]  # its controllers as /proc/PID/cgroup names them; empty for cgroup v2


def memberships(text: str) -> dict[Hierarchy, str]:
    """The cgroup of each hierarchy in TEXT, a /proc/PID/cgroup."""
    found: dict[Hierarchy, str] = {}
    for line in text.splitlines():
        number, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if number and path:
            found[frozenset(filter(None, controllers.split(",")))] = path
    return found


def mounts(mountinfo: str, known_controllers: frozenset[str]) -> dict[Hierarchy, tuple[str, str]]:
    """Where each cgroup hierarchy is mounted, from MOUNTINFO (a /proc/PID/mountinfo): (mount point, the root of
    the hierarchy that mount shows). The first mount of a hierarchy counts, as the kernel's own tools take it."""
    found: dict[Hierarchy, tuple[str, str]] = {}
    for line in mountinfo.splitlines():
        mount, _, source = line.partition(" - ")
        fields, described = mount.split(), source.split()
        if len(fields) < 5 or len(described) < 3 or described[0] not in ("cgroup", "cgroup2"):
            continue
        if described[0] == "cgroup2":
            hierarchy: Hierarchy = frozenset()
        else:
            options = described[2].split(",")
            hierarchy = frozenset(o for o in options if o in known_controllers or o.startswith("name="))
        found.setdefault(hierarchy, (_unescaped(fields[4]), _unescaped(fields[3])))
    return found


def _unescaped(field: str) -> str:
    """A mountinfo path: space, tab, newline and backslash are written as octal escapes (\\040...)."""
    return re.sub(r"\\([0-7]{3})", lambda octal: chr(int(octal.group(1), 8)), field)


def known_controllers() -> frozenset[str]:
    try:
        with open("/proc/cgroups", encoding="ascii") as table:
            return frozenset(line.split()[0] for line in table if line.strip() and not line.startswith("#"))
    except OSError:
        return frozenset()


def join(caller: str) -> None:
    """Move this process into every cgroup of CALLER (its /proc/PID/cgroup) it is not in already; OSError naming
    the group when one cannot be joined (its hierarchy not mounted here, the group gone, not permitted)."""
    wanted = memberships(caller)
    with open("/proc/self/cgroup", encoding="utf-8", errors="surrogateescape") as own:
        mine = memberships(own.read())
    moves = {hierarchy: path for hierarchy, path in wanted.items() if mine.get(hierarchy) != path}
    if not moves:
        return
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as table:
        mounted = mounts(table.read(), known_controllers())
    for hierarchy, path in sorted(moves.items(), key=lambda move: sorted(move[0])):
        name = ",".join(sorted(hierarchy)) or "cgroup2"
        if hierarchy not in mounted:
            raise OSError(f"the {name} hierarchy of {path} is not mounted")
        point, root = mounted[hierarchy]
        if root != "/" and path != root and not path.startswith(root.rstrip("/") + "/"):
            raise OSError(f"{name} group {path} is outside the mounted part of its hierarchy")
        folder = os.path.join(point, path[len(root.rstrip("/")) :].lstrip("/"))
        try:
            with open(os.path.join(folder, "cgroup.procs"), "w", encoding="ascii") as procs:
                procs.write(str(os.getpid()))
        except OSError as exc:
            raise OSError(f"cannot join {name} group {path} ({exc.strerror or type(exc).__name__})") from None
