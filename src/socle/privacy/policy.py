"""A collection's privacy mode, applied to documents at ingestion, and what it recorded.

Modes (``collections.settings["privacy"]``):

``anonymise``     detections replaced by pseudonyms, the mapping thrown away: irreversible.
                  The default for new collections (no key to manage, nothing to leak).
``pseudonymise``  same text, but the mapping pseudonym → original is kept, encrypted with the
                  ``privacy_key``, and can be revealed to the collection's administrators.
``off``           documents indexed as they are.

A collection created before this feature (it already holds documents and has no mode)
is ``off`` until an administrator chooses otherwise.

Two more settings change what is kept in clear: the collection's allow-list
(``privacy_allow``: its own public contacts, a name that is not a person...) and its
cultural option (``privacy_public_figures``: well-known deceased public figures are kept).

A protected document keeps, as its ``content_hash``, a hash of its *original* content, of
the mode, of the allow-list and of the cultural option (:class:`ProtectedDocument`): an
unchanged source file is skipped at the next ingestion, and a change of any of them makes
every document be processed again.

Keys (``pseudonymise`` mode): the collection records the fingerprint of its key
(``privacy_key_id``). :func:`rotate_key` re-seals every mapping under a new key, batch by
batch, each batch in its own transaction, while the service goes on: during the rotation the
collection records both fingerprints (``privacy_key_id`` is the new one,
``privacy_key_previous`` the old one) and accepts either key; at the end the old one is
retired (``privacy_keys_retired``) and refused with a message that says so. An interrupted
rotation is resumed by running it again.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Protocol, runtime_checkable

from socle.config import Settings, load_settings
from socle.errors import ConfigError, NotFoundError, SocleError
from socle.models import Document, SourcedDocument
from socle.store import Store

MODES = ("anonymise", "pseudonymise", "off")
DEFAULT_MODE = "anonymise"
SETTING = "privacy_mode"  # read by socle.export and socle.transparency too
KEY_SETTING = "privacy_key_id"
PREVIOUS_KEY_SETTING = "privacy_key_previous"  # only while a key rotation is under way
RETIRED_KEYS_SETTING = "privacy_keys_retired"
ALLOW_SETTING = "privacy_allow"
PUBLIC_FIGURES_SETTING = "privacy_public_figures"
MAX_ALLOWED = 1000  # entries of an allow-list
MAX_ALLOWED_CHARS = 300  # characters of one entry


@runtime_checkable
class PrivacyRecords(Protocol):
    """The store methods privacy needs (both stores have them)."""

    def put_privacy_record(
        self, collection: str, key: str, mode: str, counts: dict[str, Any], mapping: bytes | None
    ) -> None: ...
    def privacy_records(self, collection: str) -> list[dict[str, Any]]: ...
    def privacy_mapping(self, collection: str, key: str) -> bytes | None: ...
    def privacy_mappings(self, collection: str, after: str = "", limit: int = 100) -> list[tuple[str, bytes]]: ...
    def replace_privacy_mappings(self, collection: str, changes: Sequence[tuple[str, bytes, bytes]]) -> int: ...


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


def _settings_of(store: Store, collection: str) -> dict[str, Any]:
    try:
        return store.collection_settings(collection)
    except NotFoundError:
        return {}


# -- allow-list and cultural option ------------------------------------------------------------
def allow_list(store: Store, collection: str) -> list[str]:
    """The texts the collection keeps in clear, in the order they were added."""
    return [str(x) for x in _settings_of(store, collection).get(ALLOW_SETTING) or []]


def add_allowed(store: Store, collection: str, text: str) -> bool:
    """Adds ``text`` to the allow-list; False if an entry that compares equal is already there."""
    from socle.privacy.pseudonymise import AllowList

    text = " ".join(text.split())
    if not text:
        raise SocleError("Indiquez le texte à conserver en clair.")
    if len(text) > MAX_ALLOWED_CHARS:
        raise SocleError(f"Une entrée de la liste autorisée fait {MAX_ALLOWED_CHARS} caractères au plus.")
    if AllowList([text]).digest() == AllowList().digest():
        raise SocleError("Ce texte ne contient ni lettre ni chiffre.")
    store.ensure_collection(collection)
    entries = allow_list(store, collection)
    if AllowList(entries).digest() == AllowList([*entries, text]).digest():
        return False
    if len(entries) >= MAX_ALLOWED:
        raise SocleError(f"La liste autorisée compte déjà {MAX_ALLOWED} entrées : retirez-en avant d'en ajouter.")
    store.update_collection_settings(collection, **{ALLOW_SETTING: [*entries, text]})
    return True


def remove_allowed(store: Store, collection: str, text: str) -> list[str]:
    """Removes the entries that compare equal to ``text``; returns them (empty if none)."""
    from socle.privacy.pseudonymise import AllowList

    entries = allow_list(store, collection)
    wanted = AllowList([text]).digest()
    removed = [e for e in entries if AllowList([e]).digest() == wanted]
    if removed:
        kept = [e for e in entries if e not in removed]
        store.update_collection_settings(collection, **{ALLOW_SETTING: kept or None})
    return removed


def keeps_public_figures(store: Store, collection: str) -> bool:
    return bool(_settings_of(store, collection).get(PUBLIC_FIGURES_SETTING, False))


def set_public_figures(store: Store, collection: str, keep: bool) -> None:
    store.ensure_collection(collection)
    store.update_collection_settings(collection, **{PUBLIC_FIGURES_SETTING: keep or None})


class DocumentPrivacy:
    """Applies a collection's mode to documents before they are chunked (see ``socle.ingest``)."""

    def __init__(
        self,
        store: Store,
        collection: str,
        mode: str,
        key: str = "",
        *,
        allow: Sequence[str] = (),
        keep_public_figures: bool = False,
    ) -> None:
        from socle.privacy.pseudonymise import AllowList

        self.store = store
        self.collection = collection
        self.mode = check_mode(mode)
        self.key = key
        self.allow = AllowList(allow)
        self.keep_public_figures = keep_public_figures
        self._records = store if isinstance(store, PrivacyRecords) else None
        if self.mode == "pseudonymise":
            self._check_key()

    @classmethod
    def for_collection(cls, store: Store, collection: str, settings: Settings | None = None) -> DocumentPrivacy:
        settings = settings or load_settings()
        mode = collection_mode(store, collection, settings.privacy_mode)
        return cls(
            store,
            collection,
            mode,
            settings.privacy_key,
            allow=allow_list(store, collection),
            keep_public_figures=keeps_public_figures(store, collection),
        )

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
            settings = self.store.collection_settings(self.collection)
        except NotFoundError:
            return
        known = settings.get(KEY_SETTING)
        if known is None:
            self.store.update_collection_settings(self.collection, **{KEY_SETTING: current})
        elif current not in (known, settings.get(PREVIOUS_KEY_SETTING)):  # either, during a rotation
            if current in (settings.get(RETIRED_KEYS_SETTING) or []):
                raise ConfigError(
                    f"La clé de pseudonymisation fournie a été remplacée (rotation de clé) pour la collection "
                    f"« {self.collection} » : elle n'est plus acceptée. Fournissez la nouvelle clé par SOCLE_PRIVACY_KEY."
                )
            raise ConfigError(
                f"La clé de pseudonymisation fournie n'est pas celle de la collection « {self.collection} »."
            )

    def content_hash(self, document: Document) -> str:
        """The hash an unchanged document has in the store under this mode, allow-list and
        cultural option (the same as before either existed when they are empty / off)."""
        if self.mode == "off" or (isinstance(document, SourcedDocument) and document.source_hash):
            return document.content_hash  # off, or already the hash of a protected source (re-import)
        suffix = f"|privacy:{self.mode}"
        if self.allow:
            suffix += f"|allow:{self.allow.digest()}"
        if self.keep_public_figures:
            suffix += "|public-figures"
        return hashlib.sha256(f"{document.content_hash}{suffix}".encode()).hexdigest()

    def protect(self, document: Document, masked: Counter[str] | None = None) -> Document:
        """The document as it may be indexed; records what was removed (and the sealed mapping).
        ``masked`` (if given) is increased by the mentions replaced, by type."""
        records = self._records
        if self.mode == "off":
            if records is not None:
                records.put_privacy_record(self.collection, document.key, "off", {}, None)
            return document
        from socle.privacy.pseudonymise import pseudonymise_document
        from socle.privacy.vault import seal

        result = pseudonymise_document(document, allow=self.allow, keep_public_figures=self.keep_public_figures)
        p = result.pseudonymiser
        if masked is not None:
            masked.update(p.occurrences)
        mapping = None
        if self.mode == "pseudonymise" and p.mapping:
            self._check_key()  # again: a key rotation may have ended since this ingestion started
            mapping = seal(p.mapping, self.key)
        if records is not None:  # a store without privacy tables still gets anonymised text
            records.put_privacy_record(self.collection, document.key, self.mode, p.counts(), mapping)
        values = {f.name: getattr(result.document, f.name) for f in fields(Document)}
        return ProtectedDocument(**values, source_hash=self.content_hash(document))


def reveal_mapping(store: Store, collection: str, key: str, privacy_key: str) -> dict[str, str]:
    """Pseudonym → original for one document (administrators only: the caller checks the role)."""
    from socle.privacy.vault import KeyMismatchError, fingerprint, unseal

    mode = collection_mode(store, collection)
    if mode != "pseudonymise":
        raise SocleError(
            f"La collection « {collection} » est en mode « {mode} » : aucune correspondance n'est conservée."
        )
    DocumentPrivacy(store, collection, mode, privacy_key)  # checks the key
    token = records_of(store).privacy_mapping(collection, key)
    if token is None:
        raise NotFoundError(f"Aucune correspondance enregistrée pour « {key} » dans « {collection} ».")
    try:
        return unseal(token, privacy_key)
    except KeyMismatchError as exc:
        if fingerprint(privacy_key) == _settings_of(store, collection).get(PREVIOUS_KEY_SETTING):
            raise KeyMismatchError(
                f"Rotation de clé en cours dans « {collection} » : cette correspondance est déjà chiffrée "
                "avec la nouvelle clé ; utilisez-la."
            ) from exc
        raise


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
    settings = _settings_of(store, collection)
    return {
        "collection": collection,
        "mode": collection_mode(store, collection),
        "documents": len(rows),
        "protected_documents": sum(1 for r in rows if r["mode"] != "off"),
        "totals": dict(sorted(totals.items())),
        "allow": allow_list(store, collection),
        "public_figures": bool(settings.get(PUBLIC_FIGURES_SETTING, False)),
        "key_fingerprint": settings.get(KEY_SETTING),
        "key_rotation_in_progress": bool(settings.get(PREVIOUS_KEY_SETTING)),
        "per_document": rows,
    }


# -- key rotation ------------------------------------------------------------------------------
@dataclass
class Rotation:
    """What :func:`rotate_key` did to one collection (counts only)."""

    collection: str
    resealed: int = 0  # mappings now sealed with the new key
    already: int = 0  # found sealed with the new key (a resumed rotation, or a new ingestion)
    unreadable: list[str] = field(default_factory=list)  # documents neither key opens
    finished: bool = False  # the old key is retired

    def as_dict(self) -> dict[str, Any]:
        return {
            "collection": self.collection,
            "resealed": self.resealed,
            "already": self.already,
            "unreadable": self.unreadable,
            "finished": self.finished,
        }


def rotation_collections(store: Store) -> list[str]:
    """The collections that have a key (a pseudonymise collection that ingested, or used to)."""
    return [c.name for c in store.collections() if _settings_of(store, c.name).get(KEY_SETTING)]


def rotate_key(
    store: Store,
    collection: str,
    old_key: str,
    new_key: str,
    *,
    batch: int = 50,
    finish: bool = True,
    on_batch: Callable[[Rotation], None] | None = None,
) -> Rotation:
    """Re-seal every mapping of ``collection`` under ``new_key``, with no downtime.

    1. The collection records the new fingerprint and keeps the old one as previous: from
       then on ingestion and reveal accept either key (processes not yet given the new key go on).
    2. Mappings are re-sealed ``batch`` at a time, each batch in its own transaction, and only
       if unchanged meanwhile (a document re-ingested during the rotation keeps its new record).
       Mappings already sealed with the new key are skipped: running the rotation again after
       an interruption resumes it.
    3. Sweeps are repeated until none is left under the old key (a process still holding the
       old key may have ingested meanwhile), then, if ``finish``, the old fingerprint is retired:
       the old key is refused from then on.

    Decrypted mappings exist only in memory, one at a time; nothing is logged.
    """
    from socle.privacy.vault import KeyMismatchError, fingerprint, opens, reseal

    records = records_of(store)
    old_fp, new_fp = fingerprint(old_key), fingerprint(new_key)
    if old_fp == new_fp:
        raise ConfigError("La nouvelle clé de pseudonymisation est identique à l'actuelle.")
    settings = store.collection_settings(collection)  # NotFoundError if unknown
    known, previous = settings.get(KEY_SETTING), settings.get(PREVIOUS_KEY_SETTING)
    retired = [str(x) for x in settings.get(RETIRED_KEYS_SETTING) or []]
    if known is None:  # nothing sealed yet: the new key simply becomes the collection's
        store.update_collection_settings(collection, **{KEY_SETTING: new_fp})
        return Rotation(collection, finished=True)
    if known == old_fp and previous in (None, old_fp):
        store.update_collection_settings(collection, **{KEY_SETTING: new_fp, PREVIOUS_KEY_SETTING: old_fp})
    elif known == new_fp and (previous == old_fp or (previous is None and old_fp in retired)):
        pass  # resumed (previous is None: finished before; the sweep catches late old-key mappings)
    elif known == new_fp and previous is not None:
        raise ConfigError(
            f"Une autre rotation de clé est en cours pour la collection « {collection} » : "
            "terminez-la avec la clé qu'elle remplace."
        )
    else:
        raise ConfigError(
            f"La clé actuelle fournie (SOCLE_PRIVACY_KEY) n'est pas celle de la collection « {collection} »."
        )
    rotation = Rotation(collection)
    for sweep in range(5):  # the last sweeps only check (or catch what old-key processes wrote)
        changed = 0
        after = ""
        while rows := records.privacy_mappings(collection, after, batch):
            after = rows[-1][0]
            changes: list[tuple[str, bytes, bytes]] = []
            for key, token in rows:
                if opens(token, new_key):
                    if sweep == 0:
                        rotation.already += 1
                    continue
                try:
                    changes.append((key, token, reseal(token, old_key, new_key)))
                except KeyMismatchError:
                    if key not in rotation.unreadable:
                        rotation.unreadable.append(key)
            if changes:
                changed += len(changes)
                rotation.resealed += records.replace_privacy_mappings(collection, changes)
            if on_batch is not None:
                on_batch(rotation)
        if not changed:
            break
    if finish and not changed:  # else still busy with old-key writers: run it again to finish
        store.update_collection_settings(
            collection,
            **{PREVIOUS_KEY_SETTING: None, RETIRED_KEYS_SETTING: [*dict.fromkeys([*retired, old_fp])]},
        )
        rotation.finished = True
    return rotation


__all__ = [
    "DEFAULT_MODE",
    "MODES",
    "DocumentPrivacy",
    "PrivacyRecords",
    "ProtectedDocument",
    "Rotation",
    "add_allowed",
    "allow_list",
    "check_mode",
    "collection_mode",
    "keeps_public_figures",
    "privacy_report",
    "records_of",
    "remove_allowed",
    "reveal_mapping",
    "rotate_key",
    "rotation_collections",
    "set_collection_mode",
    "set_public_figures",
]
