"""The French sentence verifier: quantities, negation, words and names."""

from __future__ import annotations

import inspect

import pytest

import socle.factcheck
from socle.factcheck import Fact, best_support, check, facts, polarity

# Sentences of demo/conges-annuels-agents.md, verbatim (line breaks joined).
FULL_TIME = (
    "Chaque agent à temps complet bénéficie de **25 jours ouvrés** de congés annuels par année civile, "
    "soit cinq fois ses obligations hebdomadaires de service."
)
REQUEST = (
    "La demande est saisie dans le logiciel de gestion des temps au moins **15 jours avant la date de départ** "
    "pour toute absence de plus de 3 jours."
)
SUMMER = "Le planning des congés d'été est arrêté au plus tard le **31 mars** de chaque année."
ABSENCE = "L'absence du service ne peut excéder **31 jours consécutifs**, samedis, dimanches et jours fériés compris."
BONUS = "Cette limite ne s'applique pas aux agents bénéficiant d'un congé bonifié."
CET_CAP = "Le plafond du CET est fixé à **60 jours**."
SCOPE = (
    "Le présent règlement s'applique à l'ensemble des agents titulaires, stagiaires et contractuels de la "
    "Mairie de Saint-Exemple."
)


def values(text: str) -> list[tuple[str, float | str, str | None]]:
    return [(f.kind, f.value, f.unit) for f in facts(text)]


# -- the false sentences the old verifier kept -----------------------------------------------


@pytest.mark.parametrize(
    ("claim", "source", "kind", "reason"),
    [
        (
            "Un agent à temps complet bénéficie de 35 jours ouvrés de congés.",
            FULL_TIME,
            "number",
            "nombre absent de la source : « 35 jours ouvrés »",
        ),
        (
            "Un agent à temps complet ne bénéficie pas de jours ouvrés de congés annuels.",
            FULL_TIME,
            "negation",
            "négation contraire à la source",
        ),
        (
            "La demande est saisie au moins 2 jours avant la date de départ.",
            REQUEST,
            "number",
            "nombre absent de la source : « 2 jours »",
        ),
    ],
)
def test_false_sentences_about_the_demo_rules_are_rejected(claim: str, source: str, kind: str, reason: str) -> None:
    result = check(claim, source)
    assert not result.supported
    assert result.kind == kind
    assert result.reason == reason


def test_true_sentences_about_the_demo_rules_are_kept() -> None:
    assert check("Un agent à temps complet bénéficie de 25 jours ouvrés de congés annuels.", FULL_TIME).supported
    assert check("La demande est saisie au moins 15 jours avant la date de départ.", REQUEST).supported
    assert check("Le planning des congés d'été est arrêté au plus tard le 31 mars.", SUMMER).supported


def test_inflected_paraphrase_is_kept() -> None:
    # Plural subject and verb, number in words, "disposent de" for "bénéficie de".
    claim = "Les agents à temps complet disposent de vingt-cinq jours ouvrés de congés annuels par année civile."
    result = check(claim, FULL_TIME)
    assert result.supported, result.reason
    assert result.score == 1.0
    assert check("Chaque agent à temps complet a droit à 25 jours ouvrés de congés annuels.", FULL_TIME).supported


def test_supported_check_has_no_reason() -> None:
    result = check(FULL_TIME, FULL_TIME)
    assert (result.supported, result.reason, result.kind, result.score) == (True, None, None, 1.0)


# -- quantities ------------------------------------------------------------------------------


def test_number_words_equal_digits() -> None:
    assert values("quinze jours") == values("15 jours") == [("duration", 15.0, "jour")]
    assert check("Le délai est de quinze jours.", "Le délai est de 15 jours.").supported
    assert check("Le délai est de 15 jours.", "Le délai est de quinze jours.").supported
    assert not check("Le délai est de seize jours.", "Le délai est de 15 jours.").supported


def test_amounts_in_euros() -> None:
    expected = [("amount", 12.0, "€")]
    assert values("12 euros") == values("12 €") == values("12,00 €") == values("douze euros") == expected
    assert check("Le tarif est de 12 euros.", "Le tarif est de 12 €.").supported
    assert values("1 000 €") == values("1\u202f000 €") == values("1\u00a0000 euros") == [("amount", 1000.0, "€")]
    assert values("1,5 million d'euros") == [("amount", 1_500_000.0, "€")]
    assert values("0,20 % de la masse salariale") == [("percent", 0.2, "%")]


def test_first_of_the_month() -> None:
    assert values("1er mars") == values("premier mars") == [("date", "xxxx-03-01", None)]
    assert check("L'inscription ouvre le premier mars.", "L'inscription ouvre le 1er mars.").supported
    assert check("L'inscription ouvre le 1er mars.", "L'inscription ouvre le premier mars.").supported


def test_dates() -> None:
    assert values("le 15/03/2024") == values("le 15 mars 2024") == [("date", "2024-03-15", None)]
    # A claim may leave out the year, not change it or the day.
    assert check("Il entre en vigueur le 1er janvier.", "Il entre en vigueur le 1er janvier 2024.").supported
    bad_year = check("Il entre en vigueur le 1er janvier 2025.", "Il entre en vigueur le 1er janvier 2024.")
    assert (bad_year.supported, bad_year.kind) == (False, "date")
    assert bad_year.reason == "date absente de la source : « 1er janvier 2025 »"
    assert not check("Il entre en vigueur le 2 janvier 2024.", "Il entre en vigueur le 1er janvier 2024.").supported


def test_a_unit_change_is_a_mismatch() -> None:
    result = check("Le délai de recours est de 2 semaines.", "Le délai de recours est de 2 mois.")
    assert (result.supported, result.kind) == (False, "unit")
    assert result.reason == "unité différente de la source : « 2 semaines »"
    assert not check("Le délai de recours est de 2 mois.", "Le délai de recours est de 60 jours.").supported
    assert not check("La cotisation est de 10 €.", "La cotisation est de 10 %.").supported
    # Working days are not business days; a claim may drop the qualifier, not change it.
    assert check("Il a 25 jours de congés annuels.", "Il a 25 jours ouvrés de congés annuels.").supported
    assert not check("Il a 25 jours ouvrables de congés annuels.", "Il a 25 jours ouvrés de congés annuels.").supported


def test_a_minimum_is_not_a_maximum() -> None:
    result = check("La demande est saisie au plus 15 jours avant la date de départ.", REQUEST)
    assert (result.supported, result.kind) == (False, "number")
    assert result.reason == "borne contraire à la source : « au plus 15 jours »"
    assert not check(
        "La demande est saisie 15 jours avant le départ pour une absence de moins de 3 jours.", REQUEST
    ).supported
    # Leaving the bound out, or saying it in other words, is fine.
    assert check("La demande est saisie 15 jours avant la date de départ.", REQUEST).supported
    assert check(
        "Il existe dans les entreprises d'au moins 50 salariés.",
        "Il existe dans les entreprises de plus de 50 salariés.",
    ).supported


def test_source_numbers_the_claim_does_not_use_are_fine() -> None:
    assert check("La demande est saisie au moins 15 jours avant le départ.", REQUEST).supported


def test_a_list_of_numbers_shares_its_unit() -> None:
    assert values("5, 6 ou 7 jours") == [
        ("duration", 5.0, "jour"),
        ("duration", 6.0, "jour"),
        ("duration", 7.0, "jour"),
    ]
    assert values("en 2024, 3 jours") == [("number", 2024.0, None), ("duration", 3.0, "jour")]


def test_fact_keeps_the_text_as_written() -> None:
    assert facts("Il dispose de quinze jours.") == [Fact("duration", 15.0, "jour", "quinze jours")]


# -- negation and antonyms ---------------------------------------------------------------------


def test_negation_both_ways() -> None:
    negated = check("Cette limite s'applique aux agents bénéficiant d'un congé bonifié.", BONUS)
    assert (negated.supported, negated.kind, negated.reason) == (False, "negation", "négation contraire à la source")
    assert check(BONUS, BONUS).supported
    source = "Le temps passé en formation est déduit des heures de délégation."
    inserted = check("Le temps passé en formation n'est pas déduit des heures de délégation.", source)
    assert (inserted.supported, inserted.kind) == (False, "negation")
    removed = check("L'absence du service peut excéder 31 jours consécutifs.", ABSENCE)
    assert (removed.supported, removed.kind) == (False, "negation")
    assert check("L'absence du service ne peut pas dépasser 31 jours consécutifs.", ABSENCE).supported


def test_polarity() -> None:
    assert polarity(BONUS)
    assert polarity("Le CSE ne dispose d'aucun budget.")
    assert polarity("Il n'a jamais travaillé.")
    assert polarity("L'absence ne peut excéder 31 jours.")
    assert polarity("La demande est traitée sans frais.")
    assert not polarity("Vous n'avez que 3 jours pour répondre.")  # "ne… que" = only
    assert not polarity(FULL_TIME)


def test_forbidden_is_not_allowed() -> None:
    assert check(
        "Il est interdit de fumer dans les locaux.", "Il n'est pas autorisé de fumer dans les locaux."
    ).supported
    contrary = check("Il est interdit de fumer dans les locaux.", "Il est autorisé de fumer dans les locaux.")
    assert (contrary.supported, contrary.kind) == (False, "negation")
    assert not check("Il est autorisé de fumer dans les locaux.", "Il est interdit de fumer dans les locaux.").supported
    assert check("Il n'est pas interdit de fumer dehors.", "Il est autorisé de fumer dehors.").supported
    assert not check("La visite est facultative.", "La visite est obligatoire.").supported
    assert check("La visite est facultative.", "La visite n'est pas obligatoire.").supported
    assert not check("L'entrée du musée est payante.", "L'entrée du musée est gratuite.").supported


def test_a_negation_in_another_clause_does_not_excuse_a_dropped_one() -> None:
    source = "Si le ministère ne vous répond pas ou vous indique qu'il ne peut pas vous répondre, saisissez la CNIL."
    claim = "Si le ministère ne vous répond pas ou vous indique qu'il peut vous répondre, saisissez la CNIL."
    assert not check(claim, source).supported


# -- words and names ---------------------------------------------------------------------------


def test_an_absent_content_word_is_reported() -> None:
    result = check("Chaque agent à temps complet bénéficie de 25 jours ouvrés de mutation.", FULL_TIME)
    assert (result.supported, result.kind) == (False, "word")
    assert result.reason == "terme absent de la source : « mutation »"
    assert 0 < result.score < 1


def test_obligation_may_be_added_to_a_rule_but_not_a_permission() -> None:
    # "La demande est saisie…" states an obligation; "peut" would make it optional.
    assert check("La demande doit être saisie au moins 15 jours avant la date de départ.", REQUEST).supported
    assert not check("La demande peut être saisie au moins 15 jours avant la date de départ.", REQUEST).supported
    assert not check("Vous devez contacter le service.", "Vous pouvez contacter le service.").supported


def test_names_must_appear_in_the_source() -> None:
    result = check("Le règlement s'applique aux agents de la Mairie de Lyon.", SCOPE)
    assert (result.supported, result.kind, result.reason) == (False, "entity", "nom absent de la source : « Lyon »")
    assert check("Le règlement s'applique aux agents de la mairie de Saint-Exemple.", SCOPE).supported
    acronym = check("Le plafond du CNIL est fixé à 60 jours.", CET_CAP)
    assert (acronym.supported, acronym.kind) == (False, "entity")


def test_a_sentence_without_content_is_not_supported() -> None:
    assert not check("Oui.", FULL_TIME).supported


# -- best_support ----------------------------------------------------------------------------


def test_best_support_prefers_one_sentence() -> None:
    sentences = [SUMMER, ABSENCE, BONUS]
    span, result = best_support("L'absence du service ne peut excéder 31 jours consécutifs.", sentences)
    assert span == (1, 1)
    assert result.supported


def test_best_support_joins_two_adjacent_sentences() -> None:
    sentences = [SUMMER, ABSENCE, BONUS, CET_CAP]
    claim = (
        "L'absence du service ne peut excéder 31 jours consécutifs, "
        "mais cette limite ne s'applique pas aux agents bénéficiant d'un congé bonifié."
    )
    span, result = best_support(claim, sentences)
    assert span == (1, 2)
    assert result.supported


def test_best_support_never_uses_a_skipped_heading() -> None:
    heading = "Plafond du compte épargne-temps : 60 jours"
    sentences = [heading, "Les jours non pris alimentent le compte épargne-temps.", CET_CAP]
    claim = "Le plafond du compte épargne-temps est de 60 jours."
    assert best_support(claim, sentences)[0] == (0, 0)
    span, result = best_support(claim, sentences, skip={0})
    assert span is None or 0 not in range(span[0], span[1] + 1)
    # With the heading out, the sentence that says "CET" supports "compte épargne-temps".
    assert span == (2, 2) and result.supported
    span, result = best_support("Le plafond du CET est fixé à 60 jours.", sentences, skip={0, 2})
    assert span is None and not result.supported


def test_best_support_reports_the_closest_failure() -> None:
    span, result = best_support("Le plafond du CET est fixé à 90 jours.", [SUMMER, CET_CAP, BONUS])
    assert span is None
    assert (result.kind, result.reason) == ("number", "nombre absent de la source : « 90 jours »")


def test_best_support_does_not_let_a_neighbour_rescue_a_contradiction() -> None:
    # The first sentence holds every word of the claim, negated; the second has "peut".
    sentences = ["Le salarié ne peut pas changer de poste.", "Le salarié peut demander une formation."]
    span, result = best_support("Le salarié peut changer de poste.", sentences)
    assert span is None
    assert result.kind == "negation"


def test_best_support_without_sentences() -> None:
    span, result = best_support("Le délai est de 2 mois.", [])
    assert span is None and not result.supported


# -- the public interface ----------------------------------------------------------------------


def test_public_names_are_sorted_and_importable() -> None:
    assert socle.factcheck.__all__ == sorted(socle.factcheck.__all__)
    assert set(socle.factcheck.__all__) == {"Check", "Fact", "best_support", "check", "facts", "polarity"}
    for name in ("check", "best_support"):
        parameter = inspect.signature(getattr(socle.factcheck, name)).parameters["context"]
        assert (parameter.kind, parameter.default) == (inspect.Parameter.KEYWORD_ONLY, "")


# -- acronyms ----------------------------------------------------------------------------------


def test_an_acronym_is_supported_by_the_words_it_stands_for() -> None:
    assert check("La DRH valide la demande.", "La direction des ressources humaines valide la demande.").supported
    assert check("La direction des ressources humaines valide la demande.", "La DRH valide la demande.").supported
    assert check("Le plafond du CET est de 60 jours.", "Le plafond du compte épargne-temps est de 60 jours.").supported
    assert check("Le plafond du compte épargne-temps est fixé à 60 jours.", CET_CAP).supported
    # Small words between the initials are left out ("et de l'"), but the letters must match.
    assert check(
        "La CDAPH reconnaît le taux d'incapacité.",
        "La commission des droits et de l'autonomie des personnes handicapées reconnaît le taux d'incapacité.",
    ).supported
    wrong = check("La DRH valide la demande.", "La direction des affaires juridiques valide la demande.")
    assert (wrong.supported, wrong.kind) == (False, "entity")


def test_an_acronym_defined_in_the_context_may_use_other_letters() -> None:
    claim = "Les communes peuvent utiliser le NIR de leurs administrés."
    source = "Les communes peuvent utiliser le numéro de sécurité sociale de leurs administrés."
    assert not check(claim, source).supported
    assert check(claim, source, context="Numéro de sécurité sociale (NIR) : qui peut l'utiliser ?").supported


def test_the_words_for_an_acronym_must_be_the_ones_the_texts_give() -> None:
    # The source spells the acronym out: the claim must use those words, not other words
    # with the same initials.
    source = "Demandez les images au Centre automatisé de constatation des infractions routières (CACIR)."
    claim = "Demandez les images au Conseil automatisé de constatation des infractions routières (CACIR)."
    assert not check(claim, source).supported
    # The passage defines it: same rule (initials alone would take "Facebook").
    sentences = ["Le Fichier des empreintes digitales (FAED) est tenu par la police.", "Le FAED garde 25 ans."]
    assert best_support("Le Fichier des empreintes digitales garde 25 ans.", sentences)[0] == (1, 1)
    assert best_support("Le Facebook des empreintes digitales garde 25 ans.", sentences)[0] is None
    # A claim that defines an acronym the source only uses must not invent its words.
    source = "Adressez-vous à votre DPO."
    assert not check("Adressez-vous à votre délégué à la protection des outils (DPO).", source).supported


# -- context -----------------------------------------------------------------------------------

CONTEXT = "Règlement des congés annuels\nDemande et validation"


def test_words_of_the_claim_may_come_from_the_context() -> None:
    claim = "La demande de congés est saisie dans le logiciel de gestion des temps au moins 15 jours avant le départ."
    assert not check(claim, REQUEST).supported
    assert check(claim, REQUEST, context=CONTEXT).supported
    # The subject a sentence leaves to its heading.
    assert check(
        "L'offre de reclassement est écrite et précise.",
        "Elle est écrite et précise.",
        context="Offre de reclassement",
    ).supported
    # Names too.
    scope = "Le règlement s'applique aux agents titulaires."
    claim = "Le règlement s'applique aux agents titulaires de la Mairie de Saint-Exemple."
    assert check(claim, scope, context="Règlement intérieur de la Mairie de Saint-Exemple").supported
    wrong = check(
        claim.replace("Saint-Exemple", "Lyon"), scope, context="Règlement intérieur de la Mairie de Saint-Exemple"
    )
    assert (wrong.supported, wrong.kind) == (False, "entity")


def test_numbers_and_negations_never_come_from_the_context() -> None:
    claim = "La demande de congés est saisie au moins 20 jours avant la date de départ."
    number = check(claim, REQUEST, context="Congés : délai de 20 jours")
    assert (number.supported, number.kind) == (False, "number")
    negated = check("La demande de congés n'est pas saisie dans le logiciel.", REQUEST, context=CONTEXT)
    assert (negated.supported, negated.kind) == (False, "negation")
    # A word the context negates is not given by it.
    assert not check(
        "Le congé rémunéré est accordé pour 3 mois.", "Il est accordé pour 3 mois.", context="Congé non rémunéré"
    ).supported
    assert check(
        "Le congé parental est accordé pour 3 mois.", "Il est accordé pour 3 mois.", context="Congé parental"
    ).supported


def test_a_context_word_is_an_addition_not_a_replacement() -> None:
    source = "Le temps passé en formation est rémunéré comme du temps de travail."
    claim = "Le temps passé en délégation est rémunéré comme du temps de travail."
    assert not check(claim, source, context="Heures de délégation").supported
    # Words from two lines of the context do not make one phrase.
    source = "Il doit être distinct de celui servant aux communications syndicales."
    context = "Quel est le budget du CSE ?\nPanneau d'affichage"
    assert check(
        "Le panneau d'affichage doit être distinct de celui servant aux communications syndicales.",
        source,
        context=context,
    ).supported
    assert not check(
        "Le budget d'affichage doit être distinct de celui servant aux communications syndicales.",
        source,
        context=context,
    ).supported


def test_the_sentence_must_say_something_of_the_claim() -> None:
    # All the claim's words in the title, none in the sentence: no support.
    assert not check("Le règlement des congés annuels s'applique.", SUMMER, context=CONTEXT).supported
    span, _ = best_support("Le règlement des congés annuels s'applique.", [SUMMER, ABSENCE], context=CONTEXT)
    assert span is None


def test_best_support_uses_the_context() -> None:
    sentences = [ABSENCE, REQUEST, CET_CAP]
    claim = "La demande de congés est saisie au moins 15 jours avant la date de départ."
    assert best_support(claim, sentences)[0] is None
    span, result = best_support(claim, sentences, context=CONTEXT)
    assert span == (1, 1) and result.supported


# -- word families -----------------------------------------------------------------------------


def test_words_of_one_family_meet() -> None:
    assert check("Le plafond du compte est de 60 jours.", "Le compte est plafonné à 60 jours.").supported
    assert check("L'inscription en mairie est obligatoire.", "Vous devez vous inscrire en mairie.").supported
    assert check("Vous devez vous inscrire en mairie.", "Inscrivez-vous en mairie.").supported
    assert check(
        "Le formulaire est transmis pour la production des pièces.",
        "Le formulaire est transmis pour produire les pièces.",
    ).supported


def test_words_that_only_look_alike_stay_apart() -> None:
    source = "Le service d'information répond aux usagers."
    assert not check("Le service informatique répond aux usagers.", source).supported
    assert not check("Le demandeur est informé par courrier.", "La demande est informée par courrier.").supported
    assert not check("Le secrétaire est saisi.", "Le secret est saisi.").supported


# -- imperatives -------------------------------------------------------------------------------


def test_an_imperative_supports_vous_devez_and_vous_pouvez() -> None:
    assert check("Vous devez contacter la DRH.", "Contactez la DRH.").supported
    assert check("Vous pouvez contacter la DRH.", "Contactez la DRH.").supported
    assert check("Si vous êtes agent, vous devez contacter la DRH.", "Si vous êtes agent, contactez la DRH.").supported
    assert check("Vous devez vous adresser à la mairie.", "Adressez-vous à la mairie.").supported
    assert check("Vous devez vous rendre sur le site.", "Rendez-vous sur le site.").supported
    assert check("Vous ne devez pas contacter la DRH.", "Ne contactez pas la DRH.").supported


def test_an_imperative_keeps_its_verb_and_its_polarity() -> None:
    negated = check("Vous devez contacter la DRH.", "Ne contactez pas la DRH.")
    assert (negated.supported, negated.kind) == (False, "negation")
    assert not check("Vous devez contacter la mairie.", "Contactez la DRH.").supported
    # "vous contactez" states a fact, not an instruction.
    assert not check("Vous devez contacter la DRH.", "Vous contactez la DRH.").supported
    # The modal must govern the verb in the imperative.
    assert not check("La mairie doit vous aider.", "Contactez la mairie : elle peut vous aider.").supported
