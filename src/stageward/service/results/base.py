"""The base of every result model, and how a face turns a result into JSON or back."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class Result(BaseModel):
    """A verb's result: frozen, no field but the declared ones."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    # The columns a table of these shows, in order (the CLI's `list` commands); empty: every field.
    columns: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def table_columns(cls) -> tuple[str, ...]:
        return cls.columns or tuple(cls.model_fields)


def to_json(result: Any) -> Any:
    """RESULT (a model, a list of models, or JSON already) as plain JSON values."""
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json")
    if isinstance(result, list):
        return [to_json(item) for item in result]
    return result
