"""The STAGEWARD_CONFIG file: a 0600 memfd that never touches a disk and dies with the process holding it.

Why a memfd: the resolved config holds secrets, and a file on disk survives a launcher killed with SIGKILL
(no `finally` runs). A memfd lives exactly as long as a process holds it open. The path handed to the run is
`/proc/<holder pid>/fd/<n>`: the run and its children open it like any file (the kernel allows only the same
user, as a 0600 file would), and when the holder exits, however it exits, the config is gone.
Where memfd_create is missing (not Linux) a 0600 file in a private folder is used and removed in `close()`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class ConfigFile:
    def __init__(self, content: bytes) -> None:
        self._fd: int | None = None
        self._path: Path | None = None
        if hasattr(os, "memfd_create"):
            self._fd = os.memfd_create("stageward-config", os.MFD_CLOEXEC)
            os.fchmod(self._fd, 0o600)
            os.write(self._fd, content)
            self.path = f"/proc/{os.getpid()}/fd/{self._fd}"
        else:
            folder = Path(tempfile.mkdtemp(prefix="stageward-run-"))  # mkdtemp makes it 0700
            self._path = folder / "config.json"
            descriptor = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(content)
            self.path = str(self._path)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._path is not None:
            self._path.unlink(missing_ok=True)
            self._path.parent.rmdir()
            self._path = None

    def __enter__(self) -> ConfigFile:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
