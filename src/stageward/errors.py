"""The one exception tree: each class knows its exit code (SPEC §11) and HTTP status.

The CLI and the server each translate these in exactly one place; nothing else
prints or maps errors.
"""

from __future__ import annotations

from typing import Any, ClassVar


class StagewardError(Exception):
    """Base of every error a user can see. The message is one plain line."""

    exit_code: ClassVar[int] = 1
    http_status: ClassVar[int] = 500
    code: ClassVar[str] = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def format_message(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.format_message()}


class CheckFailed(StagewardError):
    """A check, a gate, a verification or a run failed (exit 1)."""

    exit_code = 1
    http_status = 422
    code = "check_failed"


class PartlyFailed(CheckFailed):
    """A verb did everything it could and some of it failed (exit 1); what it did was kept (committed).

    `result` is the verb's whole report, failures included, exactly what it returns on success: a face
    shows it, then the failure (`secrets rotate` prints every secret's outcome, then exits 1), and an SDK
    caller cannot miss the failure yet still reads every outcome from the exception.
    """

    code = "partly_failed"

    def __init__(self, message: str, *, result: Any, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.result = result


class BadInput(StagewardError):
    """Bad input or usage: a malformed file, an unknown key, a wrong argument (exit 2)."""

    exit_code = 2
    http_status = 400
    code = "bad_input"


class ProjectFileError(BadInput):
    """An error in stageward.yaml, located by file, line and key."""

    code = "project_file"


class StoreError(BadInput):
    """The store cannot be used as it is: corrupt, foreign, or from a newer version."""

    code = "store"


class Unauthenticated(StagewardError):
    """No valid credentials were presented (remote mode)."""

    exit_code = 3
    http_status = 401
    code = "unauthenticated"


class Denied(StagewardError):
    """Access or a guardrail refused the action (exit 3). Always audited."""

    exit_code = 3
    http_status = 403
    code = "denied"

    def __init__(
        self,
        message: str,
        *,
        permission: str | None = None,
        environment: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.permission = permission
        self.environment = environment


class NotFound(StagewardError):
    """A named thing does not exist (exit 4)."""

    exit_code = 4
    http_status = 404
    code = "not_found"


class Conflict(StagewardError):
    """The action clashes with the current state (exit 5)."""

    exit_code = 5
    http_status = 409
    code = "conflict"


class TooLarge(BadInput):
    """An input is larger than Stageward accepts."""

    http_status = 413
    code = "too_large"


class TimedOut(BadInput):
    """A client sent its request too slowly (the server's body timeout)."""

    http_status = 408
    code = "timed_out"


class Undeliverable(Exception):
    """Raised by a webhook sender for a destination that must never be sent to (a rule, not a moment): the
    delivery fails at once, with this message in its log, and is not retried."""
