"""Question → response matching on ChatMD chatbots: ChatMD's own scoring and Socle's matcher."""

from __future__ import annotations

from pathlib import Path

import pytest

from socle.chatmd import ChatmdMatcher, chatmd_keyword_match, parse_chatmd
from socle.chatmd.baseline import keyword_score
from socle.chatmd.evaluate import evaluate_matching, load_from, read_questions

DATA = Path(__file__).parent / "data" / "chatmd"


def bot(name: str):  # type: ignore[no-untyped-def]
    return parse_chatmd((DATA / name).read_text(encoding="utf-8"))


# (question, index of the response, score) given by ChatMD's own findBestResponse
# (commit 9a34259, computeSimilarityScore run under Node.js on the same files).
CHATMD_ANSWERS = {
    "college_vie_scolaire.md": [
        ("Combien coûte la cantine ?", 3, 93.41703168362545),
        ("mon fils est absent, il est en retard", 1, 72.93629122921121),
        ("Je suis harcelé dans la rue", 11, 36.11094269298653),
        ("Comment se connecter à l'ENT ?", 9, 31.91071914047713),
        ("Quel est le prix du repas ?", 4, 30.927976147534224),
        ("bonjour", None, 0.0),
    ],
    "orientation_lycee.md": [
        ("je veux faire médecine", 2, 30.8),
        ("parcoursup", 4, 93.0),
        ("fac ou BTS ?", 7, 93.6),
        ("abandonner une spécialité", 1, 94.2),
        # "PASS" and "LAS" are found inside "passe" and "classe": ChatMD matches substrings
        ("je passe en classe de première", 2, 60.7),
    ],
}


@pytest.mark.parametrize(
    ("name", "question", "index", "score"), [(n, *a) for n, v in CHATMD_ANSWERS.items() for a in v]
)
def test_baseline_is_chatmd_scoring(name: str, question: str, index: int | None, score: float) -> None:
    result = chatmd_keyword_match(bot(name), question)
    assert result.index == index
    assert result.score == pytest.approx(score, abs=1e-6)


def test_keyword_score_rules() -> None:
    assert keyword_score("mes parents", "ent") == (pytest.approx(30.3), 0.0)  # substring, not word
    assert keyword_score("pas de retard", "! retard") == (pytest.approx(-60.6), 0.0)
    match, distance = keyword_score("la cantinne est chere", "cantine")  # a typo: near match
    assert match == 0.0 and distance > 1


def test_matcher_without_embedder_uses_keywords_and_french_analysis() -> None:
    college = bot("college_vie_scolaire.md")
    matcher = ChatmdMatcher(college)
    found = matcher.match("Les menus de la semaine sont-ils publiés ?")
    assert found is not None and found.response.title == "Cantine"
    # a negative keyword removes the response: "retard" excludes "Absence d'un élève"
    ranked = matcher.rank("mon fils est absent car il est en retard")
    assert "Absence d'un élève" not in [m.response.title for m in ranked]
    assert ranked[0].response.title == "Retards" and ranked[0].keywords == ["retard", "en retard"]
    # ChatMD's "ENT" keyword is found inside "parents"; Socle matches whole words only
    assert ChatmdMatcher(college).rank("mes parents")[0].keywords == []
    assert matcher.match("Quelle est la capitale du Pérou ?") is None


def test_matching_beats_chatmd_on_paraphrases(embedder) -> None:  # type: ignore[no-untyped-def]
    questions = read_questions(DATA / "questions.jsonl")
    assert len(questions) >= 60
    report = evaluate_matching(questions, load_from(DATA), embedder)
    total = report.total.as_dict()
    print(
        f"\nChatMD matching on {total['in_scope']} paraphrases: Socle {total['socle_accuracy']}, "
        f"ChatMD {total['baseline_accuracy']}; off-topic refused: Socle {total['socle_abstention']}, "
        f"ChatMD {total['baseline_abstention']}"
    )
    # Measured: Socle 0.727 (93/128), ChatMD 0.273 (35/128); refused 9/12 vs 3/12. The issue's
    # target of 0.90 is not reached with multilingual-e5-small on these strict paraphrases
    # (docs/chatmd.md); this pins the level reached so that a regression shows.
    assert total["socle_accuracy"] >= 0.70
    assert total["socle_accuracy"] >= total["baseline_accuracy"] + 0.35
    assert total["socle_abstention"] >= 0.6
    assert total["socle_correct"] == total["socle_top1"]  # no in-scope question refused
