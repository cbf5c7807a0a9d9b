"""French numbers, dates, durations and audit labels of the web pages (socle.service.french)."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from jinja2 import Environment

from socle.service.french import ACTION_LABELS, action_fr, date_fr, duree, nombre, register

NNBSP, NBSP = "\u202f", "\u00a0"
PARIS = ZoneInfo("Europe/Paris")
SRC = Path(__file__).resolve().parent.parent / "src" / "socle"


def test_nombre_decimal_comma_and_narrow_no_break_space() -> None:
    assert nombre(0.4, 2) == "0,40"
    assert nombre(1234.5, 1) == f"1{NNBSP}234,5"
    assert nombre(1234567, 0) == f"1{NNBSP}234{NNBSP}567"
    assert nombre(999) == "999" and nombre(1000) == f"1{NNBSP}000"
    assert nombre(-1234.567, 2) == f"-1{NNBSP}234,57"
    assert nombre(0.0004, 3) == "0,000" and nombre(-0.0004, 3) == "0,000"  # no « -0,000 »
    assert nombre(2.675, 2) == "2,68"  # the number as written, not its binary neighbour 2.67499…
    assert nombre(Decimal("12.5"), 0) == "12"  # half to even, as CLDR
    assert nombre(12, 3) == "12,000"


def test_nombre_leaves_what_is_not_a_number() -> None:
    assert nombre(None, 2) == "" and nombre("", 2) == ""
    assert nombre("n/a", 2) == "n/a"
    assert nombre(float("nan"), 2) == "nan"
    assert nombre(True) == "True"


def test_nombre_writes_what_babel_writes_for_french() -> None:
    """Babel (CLDR) is the reference for French number formatting; it is installed here as a
    dependency of trafilatura, and not needed at run time."""
    numbers = pytest.importorskip("babel.numbers")
    rng = random.Random(17)
    values = [0.0, 0.4, 1234.5, 1e6, 12.345, 0.125, 2.675, 987654.321]
    values += [rng.uniform(-1e7, 1e7) for _ in range(200)] + [rng.randint(-(10**9), 10**9) for _ in range(50)]
    for value in values:
        for decimals in (0, 1, 2, 3, 4):
            pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
            expected = numbers.format_decimal(value, format=pattern, locale="fr_FR")
            if re.fullmatch(r"-0(,0*)?", expected):  # Babel keeps the sign of a rounded zero
                expected = expected[1:]
            assert nombre(value, decimals) == expected, (value, decimals)


def test_date_fr_in_the_local_time_zone() -> None:
    # What socle.store.corpus.now() writes: UTC, ISO-8601, seconds.
    assert date_fr("2026-12-02T13:05:00+00:00", tz=PARIS) == f"2{NBSP}déc.{NBSP}2026 à 14{NBSP}h{NBSP}05"
    assert (
        date_fr("2026-07-14T08:00:09+00:00", tz=PARIS) == f"14{NBSP}juil.{NBSP}2026 à 10{NBSP}h{NBSP}00"
    )  # summer time
    assert date_fr("2026-12-31T23:30:00+00:00", tz=PARIS) == f"1{NBSP}janv.{NBSP}2027 à 0{NBSP}h{NBSP}30"
    assert date_fr("2026-12-02T13:05:00", tz=PARIS) == date_fr("2026-12-02T13:05:00Z", tz=PARIS)  # naive = UTC
    assert date_fr(datetime(2026, 3, 1, 9, 7, tzinfo=timezone(timedelta(hours=-5))), tz=UTC).endswith(
        f"à 14{NBSP}h{NBSP}07"
    )
    assert date_fr("2026-12-02T13:05:00+00:00", heure=False, tz=PARIS) == f"2{NBSP}déc.{NBSP}2026"
    assert date_fr("2026-08-05") == f"5{NBSP}août{NBSP}2026"  # a day stays a day (per-day footprint rows)


def test_date_fr_default_is_the_servers_time_zone() -> None:
    stamp = "2026-12-02T13:05:00+00:00"
    local = datetime.fromisoformat(stamp).astimezone()
    assert date_fr(stamp).endswith(f"à {local.hour}{NBSP}h{NBSP}{local.minute:02d}")


def test_date_fr_every_month_and_bad_input() -> None:
    months = [date_fr(f"2026-{m:02d}-01").split(NBSP)[1] for m in range(1, 13)]
    assert months == ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]
    assert date_fr("hier") == "hier" and date_fr(None) == "" and date_fr("") == ""


def test_duree() -> None:
    assert duree(0.4234) == f"0,42{NBSP}s"
    assert duree(1234.5, 1) == f"1{NNBSP}234,5{NBSP}s"
    assert duree(None) == ""


def test_action_labels() -> None:
    assert action_fr("ask") == "Question"
    assert action_fr("login") == "Connexion" and action_fr("login_failed") == "Échec de connexion"
    assert action_fr("delete") == "Suppression de document" and action_fr("upload") == "Dépôt de documents"
    assert action_fr("validate") == action_fr("validate_correction") == "Correction validée"
    assert action_fr("une_action_future") == "une_action_future"  # unknown: the raw name
    assert action_fr(None) == ""


def test_every_audit_action_written_by_the_code_has_a_label() -> None:
    """Each action name written to the audit log (core's _audit, append_audit calls) is labelled."""
    written: set[str] = set()
    for path in SRC.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        written.update(re.findall(r'_audit\(\s*\w+,\s*"([a-z_]+)"', source))
        written.update(re.findall(r'"action":\s*"([a-z_]+)"', source))
        for pair in re.findall(r'"action":\s*"([a-z_]+)"\s+if\s+\w+\s+else\s+"([a-z_]+)"', source):
            written.update(pair)
    assert {"ask", "login", "login_failed", "grant", "user_add"} <= written
    assert not written - set(ACTION_LABELS), written - set(ACTION_LABELS)


def test_register_adds_the_filters_to_jinja() -> None:
    env = Environment(autoescape=True)
    register(env)
    page = env.from_string(
        "{{ 1234.5|nombre(2) }} · {{ at|date_fr(heure=false) }} · {{ 0.42|duree }} · {{ 'ask'|action_fr }}"
    ).render(at="2026-12-02T13:05:00+00:00")
    assert page == f"1{NNBSP}234,50 · 2{NBSP}déc.{NBSP}2026 · 0,42{NBSP}s · Question"
