"""The French sentence verifier: quantities, negation, words and names."""

from __future__ import annotations

import pytest

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
    # With the heading out, the claim needs "compte épargne-temps" and "plafond": the two
    # sentences after it hold them together.
    assert span == (1, 2) and result.supported
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
