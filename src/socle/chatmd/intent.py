"""What a question is about, apart from how it is asked.

A question is made of *intent words* — the interrogative (combien, comment, quand, où,
pourquoi, quel…), the modal or auxiliary verb (faut-il, peut-on, dois-je, est-ce que) and
generic nouns of manner, time or quantity (temps, moyen, façon…) — and of the words of the
thing asked about. Intent words are the same in every chatbot: « combien de temps… » pulls
toward any response about a duration, « comment… » toward any procedure. The matcher
therefore weighs the thing asked about above them: :func:`question_core` is the question
without its intent and stop words, embedded beside the whole question, and a keyword made
of :data:`INTENT_TERMS` only (« comment ») is not taken as the author's keyword found.

:func:`asks_for_menu` tells a question that asks for a list of choices (« quels sont les
thèmes », « que proposez-vous », « menu ») — the only kind a navigation screen answers.

The lists below are made from French grammar (interrogatives, modal verbs and their
inflections, light nouns), not from any question set.
"""

from __future__ import annotations

import re

from bm25s.stopwords import STOPWORDS_FRENCH

from socle.analysis import analyse, fold_accents

__all__ = ["INTENT_TERMS", "asks_for_menu", "intent_only", "question_core"]

# Interrogatives, modal and light verbs (every person), generic nouns of manner, time,
# quantity and possibility: lower-case, accents folded.
_INTENT = """
combien comment quand ou pourquoi quel quelle quels quelles lequel laquelle lesquels lesquelles
qui que quoi qu est-ce estce
faut faudra faudrait falloir fallait
peut peux peuvent pouvons pouvez pourrait pourrais pourrions pourriez pourraient pouvoir puis
dois doit doivent devons devez devrait devrais devrions devriez devraient devoir
veux veut voulons voulez veulent voudrais voudrait vouloir
sais sait savons savez savent savoir
fait faire fais faisons faites font
ai as avons avez ont avoir
existe existent exister
y-a-t-il a-t-il il
temps duree moyen moyens facon maniere chose choses possible possibles possibilite
besoin svp stp merci bonjour salut
"""
INTENT_WORDS = frozenset(_INTENT.split())
# The same, as the lexical analyser's terms (stemmed), to leave out of the lexical score.
INTENT_TERMS = frozenset(t for w in INTENT_WORDS for t in analyse(w))

_STOP = frozenset(fold_accents(w) for w in STOPWORDS_FRENCH) | {
    "a",
    "y",
    "ca",
    "cela",
    "ceci",
    "c",
    "d",
    "j",
    "l",
    "m",
    "n",
    "s",
    "t",
    "on",
    "je",
    "tu",
    "il",
    "elle",
    "nous",
    "vous",
    "ils",
    "elles",
    "se",
    "me",
    "te",
    "mon",
    "ma",
    "mes",
    "ton",
    "ta",
    "tes",
    "son",
    "sa",
    "ses",
    "notre",
    "votre",
    "nos",
    "vos",
    "leur",
    "leurs",
}
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*", re.UNICODE)

# A question that asks for the list of choices (a menu screen answers it): a plural
# interrogative (« quels sont », « quelles options »), a plural noun of kinds, or the words
# menu, liste, options…
_MENU = """
menu menus liste listes sommaire rubriques rubrique themes sujets options choix categories parties
modules chapitres propositions fonctionnalites possibilites
"""
_MENU_WORDS = frozenset(_MENU.split())
_MENU_PATTERNS = (
    re.compile(r"\b(quels|quelles|lesquels|lesquelles)\b"),
    re.compile(r"\bque\s+(proposes|proposez|propose|offres|offrez|peux-tu|pouvez-vous)\b"),
    re.compile(r"\bqu'est-ce\s+que\s+(tu|vous)\s+(proposes|proposez|peux|pouvez|sais|savez)\b"),
    re.compile(r"\b(tous|toutes)\s+les\b"),
    re.compile(r"\b(differents|differentes|types|sortes|genres)\s+(de|d')"),
)


def _words(text: str) -> list[str]:
    return _WORD.findall(fold_accents(text.lower()).replace("’", "'").replace("'", " "))


def question_core(question: str) -> str:
    """The question's words about its subject: without intent words nor stop words, in
    order (« Combien de temps faut-il pour recevoir la carte ? » → « recevoir carte »).
    The question itself when nothing is left."""
    kept = _content_words(question)
    return " ".join(kept) if kept else question.strip()


def _content_words(text: str) -> list[str]:
    out = []
    for word in _WORD.findall(text.replace("’", "'").replace("'", " ")):
        parts = fold_accents(word.lower()).split("-")
        if not all(p in INTENT_WORDS or p in _STOP or len(p) < 2 for p in parts):
            out.append(word)
    return out


def intent_only(phrase: str) -> bool:
    """True if ``phrase`` holds no word about a subject (« comment », « est-ce que »)."""
    return not _content_words(phrase)


def asks_for_menu(question: str) -> bool:
    """True if the question asks for a list of choices rather than for one thing."""
    folded = fold_accents(question.lower()).replace("’", "'")
    if any(w in _MENU_WORDS for w in _words(question)):
        return True
    return any(p.search(folded) for p in _MENU_PATTERNS)
