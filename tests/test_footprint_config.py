"""Footprint arithmetic, settings precedence and validation, answer metrics."""

from __future__ import annotations

from pathlib import Path

import pytest

from socle.config import load_settings
from socle.errors import ConfigError
from socle.evaluate_answers import token_recall
from socle.footprint import FootprintModel, Meter


def test_footprint_follows_the_green_algorithms_formula() -> None:
    model = FootprintModel(power_per_core_w=12.0, power_per_gb_w=0.5, pue=1.5, carbon_g_per_kwh=100.0)
    with Meter(model) as meter:
        total = 0
        for i in range(2_000_000):  # real CPU work, measured
            total += i * i
    f = meter.footprint(tokens_in=10, tokens_out=3)
    assert f.cpu_s > 0 and f.wall_s > 0 and f.memory_gb > 0.005
    expected_wh = (f.cpu_s * 12.0 + f.wall_s * f.memory_gb * 0.5) / 3600 * 1.5
    assert f.energy_wh == pytest.approx(expected_wh, rel=1e-3)  # alone, the shared wall time is the wall time
    assert f.carbon_g == pytest.approx(f.energy_wh / 1000 * 100.0, rel=1e-9)
    assert (f.tokens_in, f.tokens_out) == (10, 3)
    assert f.as_dict()["energy_wh"] == round(f.energy_wh, 6)


def test_concurrent_meters_share_the_process_cpu() -> None:
    """Two requests measured at once split the process's CPU time instead of each
    counting all of it (a server answers several questions at a time)."""
    import resource
    import threading

    def cpu() -> float:
        u = resource.getrusage(resource.RUSAGE_SELF)
        return u.ru_utime + u.ru_stime

    meters = [Meter(), Meter()]
    barrier = threading.Barrier(2)

    def work(meter: Meter) -> None:
        barrier.wait()
        with meter:
            total = 0
            for i in range(1_500_000):
                total += i * i

    before = cpu()
    threads = [threading.Thread(target=work, args=(m,)) for m in meters]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    spent = cpu() - before
    measured = sum(m.cpu_s for m in meters)
    assert measured <= spent * 1.05  # never more than the process used
    assert measured >= spent * 0.8
    assert all(m.cpu_s > 0.2 * measured for m in meters)


def test_settings_precedence(socle_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    socle_home.mkdir(parents=True)
    (socle_home / "config.toml").write_text('chunk_words = 150\npue = 1.4\nllm_api_key = "sk-secret"\n')
    s = load_settings()
    assert s.db == str(socle_home / "socle.db")
    assert (s.chunk_words, s.pue) == (150, 1.4)
    monkeypatch.setenv("SOCLE_CHUNK_WORDS", "90")
    assert load_settings().chunk_words == 90  # environment beats the file
    assert load_settings(chunk_words=60).chunk_words == 60  # the command line beats both
    assert "sk-secret" not in repr(load_settings())  # secrets never printed


@pytest.mark.parametrize(
    ("content", "message"),
    [("chunk_words = 5\n", "chunk_words"), ("colour = 'bleu'\n", "inconnus"), ("pue = \n", "TOML invalide")],
)
def test_bad_settings_are_refused_in_french(socle_home: Path, content: str, message: str) -> None:
    socle_home.mkdir(parents=True)
    (socle_home / "config.toml").write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_settings()


def test_token_recall() -> None:
    assert token_recall("deux jours par semaine", "Au plus deux jours par semaine.") == 1.0
    assert token_recall("deux jours par semaine", "Trois jours.") == 0.25
    assert token_recall("", "x") == 0.0
