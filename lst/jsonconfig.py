"""A dataclass mixin: settings that round-trip through JSON (FINN-style build configs)."""

from __future__ import annotations

import dataclasses
import json

__all__ = ["JSONConfig"]


class JSONConfig:
    """``to_json()`` / ``from_json()`` for a dataclass of JSON-representable fields."""

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str):
        return cls(**json.loads(text))
