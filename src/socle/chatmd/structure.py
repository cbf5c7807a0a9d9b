"""What the structure of a ChatMD file says about each response.

A ChatMD file is a graph: buttons lead from one response to another. Besides its text, a
response is described by

- its own headings (``###`` lines in its content: what its parts are about);
- the labels of the buttons that lead to it (*incoming* labels): the author wrote them as
  the user would ask (« Combien coûte la cantine ? » → ``Tarifs de la cantine``), so they
  are natural paraphrases of the questions it answers;
- its keywords and title.

Some responses are *navigation screens*: a few words and a list of buttons or links
(« Choisissez un thème : »). They hold no answer of their own — the answer is one click
further — so the matcher keeps them out of direct answers unless the question asks for the
list itself (:func:`socle.chatmd.intent.asks_for_menu`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from socle.chatmd.model import Chatbot, Response

__all__ = ["ResponseProfile", "incoming_labels", "is_navigation", "profiles"]

# A navigation screen: at least this many buttons or links...
NAVIGATION_MIN_LINKS = 3
# ...and few words of its own: under this many in all, and under this many per link.
NAVIGATION_MAX_WORDS = 40
NAVIGATION_WORDS_PER_LINK = 8

# Labels that say where a button goes, not what is there.
_GENERIC_LABELS = frozenset(
    {
        "suite",
        "retour",
        "menu",
        "accueil",
        "continuer",
        "suivant",
        "précédent",
        "revenir",
        "recommencer",
        "retour au menu",
        "retour à l'accueil",
        "menu principal",
        "revenir au menu",
    }
)
_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_LINK_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+\[[^\]]*\]\([^)]*\)\s*$", re.MULTILINE)
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_WORD = re.compile(r"[^\W_]{2,}", re.UNICODE)


@dataclass
class ResponseProfile:
    """The structural facts of one response used by the matcher."""

    headings: list[str] = field(default_factory=list)
    incoming: list[str] = field(default_factory=list)  # labels of the buttons leading to it
    own_words: int = 0  # words of its content outside links and buttons
    links: int = 0  # buttons plus links listed one per line
    navigation: bool = False


def _generic(label: str) -> bool:
    folded = label.strip().lower().rstrip(" .!?:…")
    return len(folded) <= 3 or folded in _GENERIC_LABELS


def incoming_labels(chatbot: Chatbot) -> dict[str, list[str]]:
    """Button labels grouped by the response they open (generic ones like « suite » left out,
    and a label equal to the target's title, which says nothing more)."""
    out: dict[str, list[str]] = {}
    choices = list(chatbot.initial_message.choices) + [c for r in chatbot.responses for c in r.choices]
    for c in choices:
        label = c.label.strip()
        if c.target and not _generic(label) and label != c.target:
            labels = out.setdefault(c.target, [])
            if label not in labels:
                labels.append(label)
    return out


def is_navigation(response: Response) -> bool:
    """A screen of buttons or links with little content of its own."""
    profile = _counts(response)
    return _navigation(*profile)


def _counts(response: Response) -> tuple[int, int]:
    content = response.content
    listed = len(_LINK_ITEM.findall(content))
    own = _LINK.sub(" ", _LINK_ITEM.sub(" ", content))
    own = _HEADING.sub(" ", own)
    words = len(_WORD.findall(re.sub(r"<[^>]+>|`[^`]*`", " ", own)))
    return words, len(response.choices) + listed


def _navigation(words: int, links: int) -> bool:
    return links >= NAVIGATION_MIN_LINKS and words < NAVIGATION_MAX_WORDS and words <= NAVIGATION_WORDS_PER_LINK * links


def profiles(chatbot: Chatbot) -> list[ResponseProfile]:
    """One profile per response of ``chatbot``, in order."""
    incoming = incoming_labels(chatbot)
    out = []
    for r in chatbot.responses:
        words, links = _counts(r)
        headings = [h.strip() for h in _HEADING.findall(r.content) if h.strip()]
        out.append(
            ResponseProfile(
                headings=headings,
                incoming=incoming.get(r.title, []),
                own_words=words,
                links=links,
                navigation=_navigation(words, links),
            )
        )
    return out
