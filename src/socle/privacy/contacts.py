"""Institutional contacts and non-persons: detections that are not a person's data, dropped after detection.

An institution's own public contacts are not personal data, and the public must be able to
read them in the documents and in the answers (« the HR service's e-mail »). Each rule looks at
the value and at the text around it, with the person names already found:

- a **functional e-mail**: its local part is made of role or service words (« contact »,
  « accueil », « drh », « service-urbanisme », « mairie »), is a school's code
  (« ce.0751234a »), or is a plain common word that is no given name nor surname
  (« piscine@ »). ``prenom.nom@``, ``pnom@`` and anything name-shaped stay personal;
- a **switchboard or service number**: a landline number (not 06/07) whose paragraph names a
  service (« standard », « accueil », « secrétariat », « mairie », « numéro vert », « médiathèque »...)
  before it, with no person name near it and no « me joindre », « mon numéro » in its sentence;
- an **address introduced by a public body or a building**: « Mairie de Saint-Exemple,
  1 place de la République », « la médiathèque, située 4 rue des Écoles », with nothing but
  the body's name and complements between them, and no person;
- a **firm's address**: its SIREN, SIRET or RCS number follows it and no person is named
  before it (a sole trader's address names the trader, and stays masked);
- a **birth date whose subject is not a person**: « Le musée, né le 12 mai 1950 » (an
  institution, a building, an event before « né le », no person nor « je » in the sentence).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container, Sequence
from typing import Protocol


class _Span(Protocol):
    @property
    def type(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _plain(word: str) -> str:
    """Lower case, accents removed (« Secrétariat » → « secretariat »)."""
    return "".join(c for c in unicodedata.normalize("NFD", word.lower()) if not unicodedata.combining(c))


ROLE_WORDS = _words(
    """contact contacts accueil info infos information informations drh rh grh dgs dg dga dsi si it mairie ville
    commune secretariat secretaire service services direction dir communication comptabilite compta finances
    finance budget urbanisme etat civil etatcivil culture sport sports jeunesse enfance petite education scolaire
    scolarite periscolaire cantine restauration bibliotheque mediatheque musee museum piscine reservation
    reservations billetterie inscription inscriptions admin administration administratif webmaster web noreply
    no reply ne pas repondre nepasrepondre support helpdesk assistance hotline sav commercial ventes vente presse
    recrutement emploi emplois candidature candidatures stage stages formation formations paie social ccas cias
    dpo rgpd dpd cil juridique marches achats commande commandes facture factures facturation courrier courriers
    standard mail postmaster abuse securite technique travaux voirie environnement dechets proprete eau
    assainissement police pm gendarmerie cabinet maire elus elu conseil president presidence prefecture pref
    tresorerie impots sip sie dgfip caf cpam urssaf ars ecole college lycee ce intendance gestion gestionnaire
    agence office tourisme ot hello bonjour team equipe protection donnees archives patrimoine evenements
    evenementiel animation animations associations association asso vie associative logement habitat permis
    cadastre elections population citoyennete public publics usagers usager relations relation client clients
    clientele abonnes abonnement abonnements ressources humaines personnel qualite dsden dane daf rectorat ia
    ien circonscription accueil-mairie centre social sociale solidarite solidarites sante prevention urgence
    astreinte guichet espace numerique direction-generale general generale cabinet-maire ordre bureau bureaux
    secretariat-general mediation mediateur reclamations reclamation plainte plaintes signalement signalements
    demandes demande dossier dossiers instruction instructeur aide aides subventions subvention marche
    publics-marches contentieux ecoles colleges lycees creche creches ram rpe ehpad crous etudiants etudiant
    scolarites vie-scolaire cdi cpe documentation doc labo laboratoire recherche"""
)
# First words that never start a person's address (« service-urbanisme@ », « mairie.saint-exemple@ »).
_INSTITUTION_FIRST = _words(
    """contact accueil info infos service services mairie ville commune secretariat direction ccas ce ecole college
    lycee bibliotheque mediatheque musee prefecture noreply no ne webmaster dpo rh drh communication support
    standard office agence cabinet"""
)
_INSTITUTIONAL_DOMAIN = re.compile(
    r"(?:\.gouv\.fr$|(?:^|\.)ac-[a-z-]+\.fr$|(?:^|[.-])(?:education|justice|mairie|ville|commune|agglo|metropole|"
    r"departement|region|cd\d*|cg\d*|prefecture|sante|ars|caf|cpam|urssaf|univ|chu|notaires|mediateur|culture|"
    r"diplomatie|interieur|ameli|francetravail|pole-emploi|cnil|assemblee-nationale|senat)[.-])"
)


def _person_shaped(tokens: list[str], lexicon: Container[str]) -> bool:
    """« prenom.nom », « p.nom »: two name-like parts, one of them possibly an initial."""
    if len(tokens) not in (2, 3):
        return False
    if any(len(t) == 1 for t in tokens) and any(len(t) > 2 for t in tokens):
        return True
    return sum(len(t) > 2 and t not in ROLE_WORDS and t not in lexicon for t in tokens) >= 1 and not any(
        t in ROLE_WORDS for t in tokens
    )


_SCHOOL_CODE = re.compile(r"(?:^|[._-])\d{7}[a-z](?:$|[._-])")


def functional_email(address: str, lexicon: Container[str], names: Container[str]) -> bool:
    """Whether ``address`` belongs to a service or a role rather than to a person."""
    local, _, domain = _plain(address).partition("@")
    if _SCHOOL_CODE.search(local):
        return True
    tokens = [t for t in re.split(r"[._+\-\d]+", local) if t]
    if not tokens:
        return False
    if tokens[0] in _INSTITUTION_FIRST:
        return True
    if any(t in names for t in tokens):
        return False
    if _INSTITUTIONAL_DOMAIN.search(domain) and not _person_shaped(tokens, lexicon):
        # « dpe@ac-lyon.fr », « cnaop-secr@sante.gouv.fr », « livre-lecture@culture.gouv.fr »: an office's
        # acronym or plain words on a public body's domain (« tugdualbernard53@ » stays a person's)
        return all(t in ROLE_WORDS or len(t) <= 5 or t in lexicon for t in tokens)
    if all(t in ROLE_WORDS for t in tokens):
        return True
    # A plain everyday word (« piscine », « urbanisme »): not the shape of a person's address.
    return len(tokens) == 1 and len(tokens[0]) > 3 and tokens[0] in lexicon and not re.search(r"\d", local)


_SERVICE_CUE = re.compile(
    r"(?i)\b(?:standard|accueil|services?|secr[ée]tariat|mairie|h[ôo]tel\s+de\s+ville|num[ée]ro\s+(?:vert|unique|"
    r"d['’]urgence|d['’]appel|azur|indigo)|permanences?|guichet|m[ée]diath[èe]que|biblioth[èe]que|mus[ée]e|"
    r"office\s+de\s+tourisme|pr[ée]fecture|sous-pr[ée]fecture|centre|agence|direction|bureau|[ée]cole|coll[èe]ge|"
    r"lyc[ée]e|cr[èe]che|CCAS|CIAS|CAF|CPAM|URSSAF|urgences|SAMU|pompiers|gendarmerie|commissariat|police|hotline|"
    r"assistance|support|renseignements|r[ée]servations?|billetterie|t[ée]l[ée]copie|fax|standardiste|"
    r"piscine|gymnase|conservatoire|th[ée][âa]tre|cin[ée]ma|espace|maison\s+(?:de|des|du)|d[ée]chetterie|"
    r"cimeti[èe]re|tr[ée]sorerie|tribunal|rectorat|universit[ée]|h[ôo]pital|clinique|EHPAD|association|"
    r"mutuelle|syndicat|communaut[ée]\s+de\s+communes|m[ée]tropole|d[ée]partement|r[ée]gion|conseil|SIREN|SIRET|"
    r"RCS|SARL|SAS|SASU|EURL|SA|SNC|SCOP|soci[ée]t[ée]|entreprise|traiteur|fournisseur|prestataire|[ée]tablissements?|"
    r"serveur\s+vocal|information\s+g[ée]n[ée]rale|depuis\s+l['’](?:[ée]tranger|outre-mer)|horaires|"
    r"appels?\s+(?:gratuits?|local|non\s+surtax[ée])|co[ûu]t\s+d['’]un\s+appel)\b"
)
# Said after a number: a line open to the public (« Coût d'un appel local », « Du lundi au vendredi »).
_SERVICE_AFTER = re.compile(
    r"(?i)[^\n]{0,40}?\b(?:co[ûu]t\s+d['’]un\s+appel|appels?\s+(?:gratuits?|local|non\s+surtax[ée])|serveur\s+vocal|"
    r"ouvert\s+(?:du|le|de)|du\s+lundi\s+au|(?:de|du)\s+\d{1,2}\s*h|standard|accueil)"
)
_PERSONAL_CUE = re.compile(
    r"(?i)\b(?:me\s+(?:joindre|contacter|rappeler|appeler|t[ée]l[ée]phoner)|mon\s+(?:num[ée]ro|t[ée]l[ée]phone|portable|"
    r"fixe|domicile)|ma\s+ligne|personnel(?:le)?|priv[ée]e?|perso|domicile|portable|j['’]|je\b|moi)"
)
_SENTENCE_BOUNDARY = re.compile(r"[.!?](?=\s)|\n")


def _paragraph_start(text: str, pos: int, limit: int) -> int:
    floor = max(0, pos - limit)
    blank = text.rfind("\n\n", floor, pos)
    return blank + 2 if blank >= 0 else floor


def _sentence_start(text: str, pos: int, limit: int = 160) -> int:
    floor = max(0, pos - limit)
    last = floor
    for m in _SENTENCE_BOUNDARY.finditer(text, floor, pos):
        last = m.end()
    return last


def _person_between(persons: Sequence[_Span], start: int, end: int) -> bool:
    return any(p.start < end and p.end > start for p in persons)


def service_phone(text: str, start: int, end: int, digits: str, persons: Sequence[_Span]) -> bool:
    """Whether the number at ``text[start:end]`` is a switchboard or a service line (see the module docstring)."""
    if digits[:2] in ("06", "07"):
        return False  # mobile lines are people's
    para = _paragraph_start(text, start, 400)
    if not (_SERVICE_CUE.search(text, para, start) or _SERVICE_AFTER.match(text, end)):
        return False
    sentence = _sentence_start(text, start)
    if _PERSONAL_CUE.search(text, sentence, start):
        return False
    line_end = text.find("\n", end)
    after = min(end + 60, line_end if line_end >= 0 else len(text))
    return not _person_between(persons, para, after)


_BODY = re.compile(
    r"(?i)(?<![\w-])(?:mairie|h[ôo]tel\s+de\s+ville|m[ée]diath[èe]que|biblioth[èe]que|mus[ée]e|coll[èe]ge|lyc[ée]e|[ée]cole|"
    r"groupe\s+scolaire|pr[ée]fecture|sous-pr[ée]fecture|centre|services?|CCAS|CIAS|conseil\s+(?:d[ée]partemental|"
    r"r[ée]gional|municipal)|d[ée]partement|r[ée]gion|tribunal|gendarmerie|commissariat|caserne|tr[ée]sorerie|"
    r"bureau\s+de\s+poste|la\s+poste|CAF|CPAM|URSSAF|France\s+Travail|office|agence|direction|minist[èe]re|archives|"
    r"conservatoire|th[ée][âa]tre|cin[ée]ma|piscine|gymnase|stade|salle|maison|espace|complexe|cr[èe]che|"
    r"halte-garderie|EHPAD|h[ôo]pital|clinique|universit[ée]|facult[ée]|IUT|institut|si[èe]ge|cit[ée]\s+administrative|"
    r"communaut[ée]\s+(?:de\s+communes|d['’]agglom[ée]ration)|m[ée]tropole|syndicat|d[ée]chetterie|cimeti[èe]re|"
    r"[ée]glise|capitainerie|permanence|accueil|guichet|secr[ée]tariat|rectorat|acad[ée]mie|inspection|"
    r"palais\s+de\s+justice|maison\s+de\s+justice|ville\s+de|commune\s+de|parc|jardin|ludoth[èe]que|"
    r"association|entreprise|soci[ée]t[ée]|si[èe]ge\s+social|locaux|bureaux|[ée]tablissement|fournisseur|"
    r"prestataire|titulaire\s+du\s+march[ée]|SARL|SAS|SASU|EURL|SA|SNC|SCI|SCOP|GIE|SEM|SPL|[ée]tablissements|Ets|"
    r"transports?|autocars|traiteur|imprimerie|librairie|garage|laboratoire|cabinet|r[ée]gie|march[ée]s?\s+publics?)"
    r"(?![\w-])"
)
# Words that may stand between a body and its address: complements and « située », « sis »...
_LINK_WORDS = _words(
    """de du des la le les l d au aux à en et sur située situé situées situés sis sise sises est sont se trouve
    trouvent installé installée installés installées implanté implantée adresse siège social accueil postale
    principale principal annexe municipal municipale municipaux municipales communal communale intercommunal
    intercommunale départemental départementale régional régionale national nationale public publique culturel
    culturelle sportif sportive polyvalente universitaire ville nouvelle nouveau ancien ancienne quartier bureaux
    locaux sociaux social sociale administratif administrative général générale publics publiques"""
)
_BETWEEN_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_APPOSITION_END = re.compile(
    r"(?:[,:—–\-(\n]|\b(?:située?s?|sis|sises?|au|à\s+l['’]adresse|adresse)\s*:?)\s*\Z", re.IGNORECASE
)


def institutional_address(text: str, start: int, persons: Sequence[_Span]) -> bool:
    """Whether the address at ``start`` is introduced by a public body, a building or a firm (see the module docstring)."""
    floor = _paragraph_start(text, start, 120)
    bodies = list(_BODY.finditer(text, floor, start))
    if not bodies:
        return False
    body = bodies[-1]
    between = text[body.end() : start]
    if len(between) > 90 or re.search(r"[.!?;](?:\s|$)|\d", between) or "\n\n" in between:
        return False
    if not _APPOSITION_END.search(between):
        return False  # « la mairie a écrit au 3 rue des Lilas »: not the body's own address
    if _person_between(persons, body.start(), start):
        return False
    # Lowercase words are the body's complements (« service de l'état civil », « bureau des taxis et
    # transports publics ») or link words (« située », « sis »); anything else is a sentence about the place.
    in_complement = False
    # Before the first separator, lowercase words are the body's own name (« tribunal judiciaire »,
    # « mairie annexe », « centre social »).
    first_sep = re.search(r"[,:—–(\n]", between)
    own_name_end = body.end() + first_sep.start() if first_sep else body.end()
    last = body.end()
    for m in _BETWEEN_WORD.finditer(text, body.end(), start):
        if "," in text[last : m.start()]:
            in_complement = False
        last = m.end()
        word = m.group()
        low = word.lower()
        if low in ("de", "du", "des") or low[:2] in ("d'", "d’", "l'", "l’"):
            in_complement = True
        own_name = m.end() <= own_name_end
        if not (
            word[0].isupper() or own_name or low in _LINK_WORDS or in_complement or low[:2] in ("d'", "d’", "l'", "l’")
        ):
            return False
    return True


_FIRM_AFTER = re.compile(
    r"(?i)[^\n]{0,25}?\b(?:SIREN|SIRET|RCS|APE|NAF|TVA\s+intracommunautaire|capital\s+(?:social\s+)?de)\b"
)


def firm_address(text: str, start: int, end: int, persons: Sequence[_Span]) -> bool:
    """Whether the address at ``text[start:end]`` is a firm's: its SIREN, SIRET or RCS follows, and no person is named.

    « Autocars Rhône-Voyages, 12 rue de l'Industrie, 69200 Vénissieux — SIREN ... »: a legal
    person's address. A sole trader's (« Émetteur : Clara Méndez, musicienne, 7 rue... — SIREN »)
    names a person before it and stays masked.
    """
    if not _FIRM_AFTER.match(text, end):
        return False
    return not _person_between(persons, _paragraph_start(text, start, 200), start)


_NON_PERSON_SUBJECT = re.compile(
    r"(?i)\b(?:le|la|l['’]|ce|cet|cette|notre|votre|leur|son|sa|un|une)\s*(?:\w+\s+){0,2}?(?:mus[ée]e|f[êe]te|"
    r"association|[ée]tablissement|festival|b[âa]timent|th[ée][âa]tre|club|projet|journal|revue|parti|mouvement|"
    r"groupe|entreprise|soci[ée]t[ée]|march[ée]|salon|[ée]v[ée]nement|label|coll[èe]ge|lyc[ée]e|[ée]cole|village|"
    r"quartier|site|r[ée]seau|service|dispositif|concept|programme|jumelage|centre|foyer|orchestre|ch(?:œ|oe)ur|"
    r"ensemble|spectacle|tradition|rendez-vous|lieu|[ée]difice|monument|pont|[ée]glise|ch[âa]teau|prix|concours|"
    r"biblioth[èe]que|m[ée]diath[èe]que|fondation|commune|ville|syndicat|compagnie|troupe|h[ôo]pital|mus[ée]um|"
    r"exposition|collection|biennale|foire|course|marathon|tournoi|comit[ée]|f[ée]d[ée]ration|institut|universit[ée]|"
    r"cin[ée]ma|salle|stade|jardin|parc|usine|atelier|magasin|boutique|restaurant|caf[ée]|h[ôo]tel|ligue|[ée]quipe|"
    r"chorale|harmonie|fanfare|radio|t[ée]l[ée]vision|cha[îi]ne|jeu|logiciel|application|site\s+internet|"
    r"mouvement|r[ée]gime|r[ée]publique|[ée]tat|structure|maison|espace|p[ôo]le|op[ée]ration|initiative|"
    r"journ[ée]e|semaine|nuit|carnaval|pardon|kermesse|brocante|bal|c[ée]r[ée]monie)s?\b"
)
_PERSON_SUBJECT = re.compile(
    r"(?i)\b(?:je|j['’]|il|elle|moi|M\.|Mme|Mlle|monsieur|madame|mademoiselle|soussign|enfant|fils|fille|"
    r"bébé|nom\s*:|prénom)"
)


def non_person_birth(text: str, start: int, persons: Sequence[_Span]) -> bool:
    """Whether the « né le » before ``start`` speaks of an institution, a building or an event."""
    sentence = _sentence_start(text, start, 160)
    window = text[sentence:start]
    if not re.search(r"(?i)\bn[ée]{1,2}s?\s+le\s*\Z|\bn[ée]{1,2}s?\s+(?:à|en)\s", window):
        return False  # « date de naissance : », « Né(e) le : » in a form: a person's
    subject = _NON_PERSON_SUBJECT.search(window)
    if subject is None:
        return False
    return not (_PERSON_SUBJECT.search(window) or _person_between(persons, sentence, start))


def institutional(text: str, detections: Sequence[_Span], lexicon: Container[str], names: Container[str]) -> list[bool]:
    """For each detection of ``text``: whether it is an institution's contact or not about a person."""
    persons = [d for d in detections if d.type == "PERSONNE"]
    out: list[bool] = []
    for d in detections:
        value = text[d.start : d.end]
        if d.type == "EMAIL":
            drop = functional_email(value, lexicon, names)
        elif d.type == "TELEPHONE":
            digits = "".join(c for c in value if c.isdigit())
            digits = (
                "0" + digits[2:]
                if digits.startswith("33")
                else "0" + digits[4:]
                if digits.startswith("0033")
                else digits
            )
            drop = service_phone(text, d.start, d.end, digits, persons)
        elif d.type == "ADRESSE":
            drop = institutional_address(text, d.start, persons) or firm_address(text, d.start, d.end, persons)
        elif d.type == "DATE_NAISSANCE":
            drop = non_person_birth(text, d.start, persons)
        else:
            drop = False
        out.append(drop)
    return out


__all__ = [
    "ROLE_WORDS",
    "functional_email",
    "institutional",
    "institutional_address",
    "non_person_birth",
    "service_phone",
]
