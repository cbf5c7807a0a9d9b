"""Words of French administrative text: how two words are compared, and which a claim
may add or leave out.

Every token gets a comparison key: its equivalence group (``EQUIVALENTS``: "peut" = "il
est possible de"), else its French Snowball stem with the verb endings Snowball keeps
removed and the stems of one word family joined (``stem_key``). Connectives and
demonstratives are ignored (``IGNORED``), framing verbs are light (``LIGHT``).
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache

from socle.analysis import analyse, fold_accents

PUNCT = frozenset(".,;:!?")  # clause boundaries: a negation does not reach past them


def words(text: str) -> list[str]:
    return text.split()


def inflections(*lemmas: str) -> list[str]:
    """Adjective/participle forms: "autorisé" -> autorisé, autorisée, autorisés, autorisées."""
    out = []
    for w in lemmas:
        out.append(w)
        if w.endswith("if"):
            out += [w + "s", w[:-1] + "ve", w[:-1] + "ves"]
        elif w.endswith("el"):
            out += [w + "s", w + "le", w + "les"]
        elif w.endswith("al"):
            out += [w + "e", w + "es", w[:-1] + "ux"]
        elif w.endswith("et"):
            out += [w + "s", w + "e", w + "es"]
        elif w.endswith("ier"):
            out += [w + "s", w[:-2] + "ère", w[:-2] + "ères"]
        elif w.endswith("e"):
            out += [w + "s"]
        elif not w.endswith(("s", "x")):
            out += [w + "s", w + "e", w + "es"]
    return out


# Equivalence groups: words that say the same thing in French administrative text, so a
# paraphrase may use one for the other. Conservative on purpose: "congé" / "vacances" are
# not merged ("vacances scolaires" are not leave), nor "agent" / "fonctionnaire" /
# "salarié" (different statuses: a contract agent is no civil servant, a private-sector
# employee no agent), nor "commune" / "mairie", "domicile" / "résidence" (distinct in law).
EQUIVALENTS: dict[str, list[str]] = {
    # "vous pouvez" = "il est possible de" = "vous avez la possibilité de"
    "@pouvoir": words(
        "pouvoir peux peut peuvent pouvez pouvons pourra pourras pourrez pourrons pourront pourrait pourraient "
        "pourriez pouvait pouvaient pouvant puisse puissent possible possibles possibilité possibilités"
    ),
    # "doit" = "est tenu de" = "il faut" = "il est obligatoire de"
    "@devoir": [
        *words("doit doivent devez devons dois devra devras devrez devront devrait devraient devait devaient"),
        *words("tenu tenue tenus tenues faut faudra faudrait fallait falloir"),
        *words("obligation obligations obligatoirement nécessairement"),
        *inflections("obligatoire", "obligé", "nécessaire"),
    ],
    # "bénéficie de" = "dispose de" = "a droit à" (the latter recognised in ``reading``)
    "@beneficier": words(
        "bénéficier bénéficie bénéficies bénéficient bénéficiez bénéficions bénéficiera bénéficieront bénéficierez "
        "bénéficiant bénéficié disposer dispose disposes disposent disposez disposons disposera disposeront "
        "disposerez disposant"
    ),
    "@an": words("an ans année années"),
    "@depasser": [*words("dépasser dépasse dépassent excéder excède excèdent"), *inflections("dépassé", "excédé")],
    # "la demande est réputée acceptée" = "est considérée comme acceptée"
    "@repute": inflections("réputé", "considéré"),
    "@accorder": words("accorder octroyer octroie octroient octroyé octroyée octroyés octroyées"),
    "@courriel": words("courriel courriels mail mails email emails mél"),
    "@commencer": words("commencer débuter commence débute commencent débutent"),
    "@terminer": words("terminer achever termine achève terminent achèvent"),
    "@envoyer": words("envoyer envoie envoient envoyez transmettre transmet transmettent transmettez"),
    "@demander": words("demander solliciter sollicite sollicitent sollicitez"),
    "@supprimer": words("supprimer effacer efface effacent effacez effacement suppression"),
    "@recevoir": words("recevoir reçoit reçoivent recevez percevoir perçoit perçoivent percevez"),
    # The positive side of the antonyms (``negation.OPPOSITES``).
    "@gratuit": [*inflections("gratuit"), "gratuitement", "gratuité"],
    "@autoriser": [*inflections("autorisé"), *words("autoriser autorise autorisent autorisation autorisations")],
    "@accepter": [*inflections("accepté"), *words("accepter accepte acceptent acceptation")],
    "@legal": [*inflections("légal"), "légalement"],
    "@licite": inflections("licite"),
    "@favorable": inflections("favorable"),
    "@complet": inflections("complet"),
    "@regulier": [*inflections("régulier"), "régulièrement"],
    "@eligible": inflections("éligible"),
    "@disponible": inflections("disponible"),
    "@suffisant": inflections("suffisant"),
}
# Words that carry no checkable content: discourse connectives a paraphrase adds or drops
# ("en outre", "par ailleurs"), demonstratives and quantifiers the stop list misses. A claim
# needs none of them in the source.
IGNORED = frozenset(
    fold_accents(w)
    for w in words(
        "cette cet ces ceux celles chacun chacune chaque aussi très bien alors donc car comme tel telle tels telles "
        "également notamment toutefois cependant néanmoins pourtant enfin ailleurs outre abord ensuite voici voilà "
        "ici lors afin auprès chez parmi selon vers quant quelque quelques lequel laquelle lesquels lesquelles "
        "auquel auxquels duquel desquels résumé bref exemple"
    )
)
# Light words: verbs that frame a sentence without stating a fact ("cela concerne…", "il
# s'agit de…", "cela permet de…", "dans ce cas…"). A generated sentence often adds one, so a
# claim may miss a few of them (see light_tolerance) while every other content word must be
# in the source. Nouns are left out (but "cas", "principe": "dans ce cas", "en principe"): a
# noun usually carries the fact.
LIGHT = frozenset(
    [
        *words("faire fait font effectuer effectue effectuent réaliser réalise réalisent procéder procède procèdent"),
        *words("permettre permet permettent concerner concerne concernent concernant prévoir prévoit prévoient"),
        *words("agir agit exister existe existent trouver trouve trouvent situer appliquer applique appliquent"),
        *inflections("effectué", "réalisé", "concerné", "prévu", "situé", "appliqué", "applicable"),
        *words("cas généralement principe"),
    ]
)
MODALS = frozenset({"@pouvoir", "@devoir"})
# Forms of "être" and "avoir" are stop words, but a negation may bear on nothing else ("si
# vous ne l'avez pas"): they get a key of their own, used only to compare negations.
AUXILIARIES = {
    **dict.fromkeys(
        words("est sont être es suis sommes êtes était étaient sera seront serait seraient soit soient"), "@etre"
    ),
    **dict.fromkeys(
        words("a ai as ont avez avons avoir avait avaient aura auront aurait auraient ait aient"), "@avoir"
    ),
}
AUXILIARY_KEYS = frozenset(AUXILIARIES.values())

_VERB_ENDINGS = ("aient", "ient", "ent", "ions", "iez", "ons", "ez", "ait", "ais", "er", "ir", "i", "e")
# Word families Snowball leaves apart: the irregular verbs change their stem between the
# infinitive, the forms in -ez (present and imperative) and the nouns made on them
# ("inscrire", "inscrit", "inscrivez", "inscription"; "produire", "produisez",
# "production"; "rendre" / "rendez"; "prendre" / "prenez"; "joindre" / "joignez"), and
# "plafond" loses its "d" in "plafonner". Each rule maps the end of a stem key to the root
# of its family, when at least ``least`` letters of the root remain; the first that applies
# wins. Checked on the 12,000 words of the evaluation corpora: every pair of words it joins
# is one family. A looser rule (any shared prefix of six letters) joins "information" and
# "informatique", "université" and "universel", "demande" and "demandeur", "secret" and
# "secrétaire"; "nd" -> "n" on shorter stems joins "amende" and "amené", "revenir" and
# "revendre". (end, root end, least)
_FAMILIES = (
    ("cript", "cr", 3),
    ("criv", "cr", 3),
    ("crit", "cr", 3),
    ("crir", "cr", 3),
    ("uct", "u", 5),
    ("uit", "u", 5),
    ("uis", "u", 5),
    ("ign", "ind", 5),
    ("ettr", "et", 3),
    ("prend", "pren", 4),
    ("dr", "d", 4),
    ("vr", "v", 4),
    ("nd", "n", 6),
)


def stem_key(token: str) -> str | None:
    """The Snowball stem of a token with the verb endings it keeps removed, so that
    "bénéficient", "bénéficie" and "bénéficier" meet (Snowball gives three stems), and the
    stems of one word family joined (``_FAMILIES``: "plafond" = "plafonné")."""
    stems = analyse(token)
    if not stems:
        return None
    if len(token) > 3 and token.endswith("s"):
        # Snowball stems some singulars harder than their plural ("retrait" -> "retr",
        # "retraits" -> "retrait"): a plural is stemmed as its singular.
        stems = analyse(token[:-1]) or stems
    stem = stems[0]
    for suffix in _VERB_ENDINGS:
        if stem.endswith(suffix) and len(stem) - len(suffix) >= 5:
            stem = stem[: -len(suffix)]
            break
    if len(stem) >= 6 and stem.endswith(("tr", "dr")):
        stem = stem[:-1]
    if len(stem) >= 6 and stem[-1] == stem[-2] and stem[-1] in "tnlsp":
        stem = stem[:-1]
    for end, root, least in _FAMILIES:
        if stem.endswith(end) and len(stem) - len(end) + len(root) >= least:
            return stem[: -len(end)] + root
    return stem


def _group_forms(groups: dict[str, list[str]]) -> tuple[dict[str, str], dict[str, str]]:
    """(surface form -> group, stem key -> group). Stem keys shorter than 5 letters are left
    out: "dev" (devez) is also the stem of "devant" and "devis"."""
    forms: dict[str, str] = {}
    stems: dict[str, str] = {}
    for canon, words in groups.items():
        for w in words:
            forms[w] = canon
            k = stem_key(w)
            if k and len(k) >= 5:
                stems.setdefault(k, canon)
    return forms, stems


FORMS, _STEM_FORMS = _group_forms(EQUIVALENTS)


@lru_cache(maxsize=100_000)
def key(token: str) -> str | None:
    """The comparison key of one lower-case token: its equivalence group, else its stem
    key; None for a stop word."""
    if token in FORMS:
        return FORMS[token]
    k = stem_key(token)
    if k is None:
        return None
    return _STEM_FORMS.get(k, k)


LIGHT_KEYS = frozenset(k for k in map(key, LIGHT) if k) | MODALS | {"@beneficier"}


def is_light(k: str, word: str, source_keys: Collection[str]) -> bool:
    """May the claim add this word? A framing verb (``LIGHT``), "bénéficier"/"disposer"
    (the source may say "a", "reçoit"…), or "doit"/"il faut": a rule written in the
    indicative ("la demande est saisie…") is read "doit être saisie", unless the source
    says "peut" (a permission is no obligation). "peut" itself is never light: it turns an
    obligation into an option."""
    if word in LIGHT or (k == "@beneficier" and (word in FORMS or word == "droit")):
        return True
    return k == "@devoir" and "@pouvoir" not in source_keys


def light_tolerance(n_content: int) -> int:
    """How many light words a claim may add: at most a quarter of its content words, and
    two at most. A claim of fewer than four content words must be fully found."""
    return min(2, n_content // 4)
