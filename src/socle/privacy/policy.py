"""A collection's privacy mode, applied to documents at ingestion, and what it recorded.

Modes (``collections.settings["privacy"]``):

``anonymise``     detections replaced by pseudonyms, the mapping thrown away: irreversible.
                  The default for new collections (no key to manage, nothing to leak).
``pseudonymise``  same text, but the mapping pseudonym → original is kept, encrypted with the
                  ``privacy_key``, and can be revealed to the collection's administrators.
``off``           documents indexed as they are.

A collection created before this feature (it already holds documents and has no mode)
is ``off`` until an administrator chooses otherwise.

A protected document keeps, as its ``content_hash``, a hash of its *original* content and
of the mode (:class:`ProtectedDocument`): an unchanged source file is skipped at the next
ingestion, and a change of mode makes every document be processed again.
"""

from __future__ import annotations

import hashlib
from dataclasses import fields
from typing import Any, Protocol, runtime_checkable

from socle.config import Settings, load_settings
from socle.errors import ConfigError, NotFoundError, SocleError
from socle.models import Document, SourcedDocument
from socle.store import Store

MODES = ("anonymise", "pseudonymise", "off")
DEFAULT_MODE = "anonymise"
SETTING = "privacy_mode"  # read by socle.export and socle.transparency too
KEY_SETTING = "privacy_key_id"


@runtime_checkable
class PrivacyRecords(Protocol):
    """The store methods privacy needs (both stores have them)."""

    def put_privacy_record(
        self, collection: str, key: str, mode: str, counts: dict[str, Any], mapping: bytes | None
    ) -> None: ...
    def privacy_records(self, collection: str) -> list[dict[str, Any]]: ...
    def privacy_mapping(self, collection: str, key: str) -> bytes | None: ...


def records_of(store: Store) -> PrivacyRecords:
    if not isinstance(store, PrivacyRecords):
        raise SocleError("Ce stockage ne gère pas encore la protection des données personnelles.")
    return store


class ProtectedDocument(SourcedDocument):
    """A pseudonymised document that still hashes as its original (so unchanged files are skipped)."""


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ConfigError(f"Mode de protection inconnu : « {mode} » (anonymise, pseudonymise ou off).")
    return mode


def collection_mode(store: Store, collection: str, default: str = DEFAULT_MODE) -> str:
    """The collection's mode; decided (and saved) on first use: ``default`` if it is empty, else ``off``."""
    try:
        settings = store.collection_settings(collection)
    except NotFoundError:
        return check_mode(default)
    mode = settings.get(SETTING)
    if mode is None:
        mode = check_mode(default) if not store.documents(collection) else "off"
        store.update_collection_settings(collection, **{SETTING: mode})
    return check_mode(str(mode))


def set_collection_mode(store: Store, collection: str, mode: str) -> None:
    store.ensure_collection(collection)
    store.update_collection_settings(collection, **{SETTING: check_mode(mode)})


class DocumentPrivacy:
    """Applies a collection's mode to documents before they are chunked (see ``socle.ingest``)."""

    def __init__(self, store: Store, collection: str, mode: str, key: str = "") -> None:
        self.store = store
        self.collection = collection
        self.mode = check_mode(mode)
        self.key = key
        self._records = store if isinstance(store, PrivacyRecords) else None
        if self.mode == "pseudonymise":
            self._check_key()

    @classmethod
    def for_collection(cls, store: Store, collection: str, settings: Settings | None = None) -> DocumentPrivacy:
        settings = settings or load_settings()
        return cls(store, collection, collection_mode(store, collection, settings.privacy_mode), settings.privacy_key)

    def _check_key(self) -> None:
        from socle.privacy.vault import KEY_HINT, fingerprint

        if not self.key:
            raise ConfigError(
                f"La collection « {self.collection} » est en mode pseudonymisation : "
                f"une clé de chiffrement est nécessaire ({KEY_HINT})."
            )
        records_of(self.store)
        current = fingerprint(self.key)
        try:
            known = self.store.collection_settings(self.collection).get(KEY_SETTING)
        except NotFoundError:
            return
        if known is None:
            self.store.update_collection_settings(self.collection, **{KEY_SETTING: current})
        elif known != current:
            raise ConfigError(
                f"La clé de pseudonymisation fournie n'est pas celle de la collection « {self.collection} »."
            )

    def content_hash(self, document: Document) -> str:
        """The hash an unchanged document has in the store under this mode."""
        if self.mode == "off" or (isinstance(document, SourcedDocument) and document.source_hash):
            return document.content_hash  # off, or already the hash of a protected source (re-import)
        return hashlib.sha256(f"{document.content_hash}|privacy:{self.mode}".encode()).hexdigest()

    def protect(self, document: Document) -> Document:
        """The document as it may be indexed; records what was removed (and the sealed mapping)."""
        records = self._records
        if self.mode == "off":
            if records is not None:
                records.put_privacy_record(self.collection, document.key, "off", {}, None)
            return document
        from socle.privacy.pseudonymise import pseudonymise_document
        from socle.privacy.vault import seal

        result = pseudonymise_document(document)
        p = result.pseudonymiser
        mapping = seal(p.mapping, self.key) if self.mode == "pseudonymise" and p.mapping else None
        if records is not None:  # a store without privacy tables still gets anonymised text
            records.put_privacy_record(self.collection, document.key, self.mode, p.counts(), mapping)
        values = {f.name: getattr(result.document, f.name) for f in fields(Document)}
        return ProtectedDocument(**values, source_hash=self.content_hash(document))


def reveal_mapping(store: Store, collection: str, key: str, privacy_key: str) -> dict[str, str]:
    """Pseudonym → original for one document (administrators only: the caller checks the role)."""
    from socle.privacy.vault import unseal

    mode = collection_mode(store, collection)
    if mode != "pseudonymise":
        raise SocleError(
            f"La collection « {collection} » est en mode « {mode} » : aucune correspondance n'est conservée."
        )
    DocumentPrivacy(store, collection, mode, privacy_key)  # checks the key
    token = records_of(store).privacy_mapping(collection, key)
    if token is None:
        raise NotFoundError(f"Aucune correspondance enregistrée pour « {key} » dans « {collection} ».")
    return unseal(token, privacy_key)


def privacy_report(store: Store, collection: str) -> dict[str, Any]:
    """Counts by type removed at ingestion, per document and in total (no values, ever)."""
    rows = records_of(store).privacy_records(collection)
    totals: dict[str, dict[str, int]] = {}
    for row in rows:
        for kind, c in row["counts"].items():
            t = totals.setdefault(kind, {"occurrences": 0, "values": 0, "documents": 0})
            t["occurrences"] += int(c.get("occurrences", 0))
            t["values"] += int(c.get("values", 0))
            t["documents"] += 1
    return {
        "collection": collection,
        "mode": collection_mode(store, collection),
        "documents": len(rows),
        "protected_documents": sum(1 for r in rows if r["mode"] != "off"),
        "totals": dict(sorted(totals.items())),
        "per_document": rows,
    }


__all__ = [
    "DEFAULT_MODE",
    "MODES",
    "DocumentPrivacy",
    "PrivacyRecords",
    "ProtectedDocument",
    "check_mode",
    "collection_mode",
    "privacy_report",
    "records_of",
    "reveal_mapping",
    "set_collection_mode",
]
