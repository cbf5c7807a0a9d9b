"""Courtesy: greetings, thanks and goodbyes get a short reply, not a document search."""

from __future__ import annotations

import re

from socle.extract import fold

# Messages made only of these phrases are courtesy, not questions (folded: no accents).
_COURTESY = {
    "greeting": ("bonjour a tous", "bonjour", "bonsoir", "salut", "coucou", "hello", "bjr", "slt", "hey"),
    "thanks": (
        "mille mercis",
        "merci beaucoup",
        "merci bien",
        "merci infiniment",
        "merci pour votre aide",
        "merci pour ta reponse",
        "merci pour votre reponse",
        "merci pour ton aide",
        "merci",
        "thanks",
    ),
    "bye": ("bonne fin de journee", "bonne journee", "bonne soiree", "au revoir", "a bientot", "a plus", "bye"),
    # an offer to ask, not yet a question: the reply invites it
    "greeting_request": (
        "pouvez vous m'aider",
        "vous pouvez m'aider",
        "tu peux m'aider",
        "peux tu m'aider",
        "j'ai une question",
        "j'ai besoin d'aide",
        "besoin d'aide",
        "aidez moi",
        "aide moi",
        "une question",
        "s'il vous plait",
        "svp",
        "stp",
    ),
    "ack": ("c'est note", "tres bien", "d'accord", "parfait", "super", "genial", "top", "ok", "dac", "compris", "cool"),
    "filler": ("madame", "monsieur", "a vous", "encore", "vraiment", "et", "oui"),
}
_COURTESY_PHRASE = re.compile(
    r"\s*("
    + "|".join(re.escape(p) for _, ps in sorted(_COURTESY.items()) for p in sorted(ps, key=len, reverse=True))
    + r")\b"
)
_COURTESY_KIND = {p: kind for kind, phrases in _COURTESY.items() for p in phrases}
_COURTESY_REPLY = {
    "thanks": "Avec plaisir ! N'hésitez pas si vous avez une autre question.",
    "bye": "Au revoir, et bonne journée !",
    "greeting": "Bonjour ! Posez votre question : je réponds à partir des documents de cet assistant, en citant mes sources.",
    "ack": "Très bien. Avez-vous une autre question ?",
}


def courtesy_reply(question: str) -> str | None:
    """A short reply when the message is only a greeting, thanks, a goodbye or an
    acknowledgement (« Bonjour ! », « merci, au revoir », « ok super ») — nothing to search
    the documents for. None for anything else, « Bonjour, combien de jours… » included."""
    text = re.sub(r"\s+", " ", re.sub(r"[^\w' ]+", " ", fold(question).replace("’", "'"))).strip()
    if not text or len(text.split()) > 8:
        return None
    kinds: list[str] = []
    pos = 0
    while pos < len(text):
        m = _COURTESY_PHRASE.match(text, pos)
        if m is None:
            return None
        kinds.append(_COURTESY_KIND[m.group(1)])
        pos = m.end()
    if "greeting_request" in kinds:
        kinds.append("greeting")
    for kind in ("thanks", "bye", "greeting", "ack"):  # what the reply answers first
        if kind in kinds:
            return _COURTESY_REPLY[kind]
    return None
