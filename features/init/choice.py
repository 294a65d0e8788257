"""One derived setting: the params key, its value and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Choice:
    """``key`` (``section.name`` in params.yaml) set to ``value`` because of ``reason``."""

    key: str
    value: Any
    reason: str
