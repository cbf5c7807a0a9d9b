"""The interface every text generation backend implements, in a module of its own: the
backends import it from here, never from :mod:`socle.llm`, which picks and imports them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypedDict


class Message(TypedDict):
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True)
class Completion:
    text: str
    tokens_in: int
    tokens_out: int
    model: str
    notice: str = ""  # shown to the user with the answer (e.g. a fallback server answered)


OnToken = Callable[[str], None]


class Generator(Protocol):
    name: str  # shown to users and stored with each answer (transparency)

    def chat(
        self,
        messages: list[Message],
        *,
        max_tokens: int = 400,
        temperature: float = 0.1,
        on_token: OnToken | None = None,
    ) -> Completion: ...


__all__ = ["Completion", "Generator", "Message", "OnToken"]
