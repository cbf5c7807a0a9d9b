"""Socle's exceptions. Messages are in French: they are shown to users as they are.

SocleError
├── ParseError          a file could not be read (corrupt, unsupported, empty)
├── ConfigError         a setting is missing or invalid
├── StoreError          the database cannot be opened or is inconsistent
│   ├── NotFoundError   a collection or document does not exist
│   └── StoreUnavailable the database server cannot be reached (restarting, failing over)
├── ConflictError       the name is taken; replacing needs an explicit request (HTTP 409)
└── EmbedderError       the embedding backend failed
"""

from __future__ import annotations


class SocleError(Exception):
    """Base class of every error Socle reports to its users."""


class ParseError(SocleError):
    pass


class ConfigError(SocleError):
    pass


class StoreError(SocleError):
    pass


class NotFoundError(StoreError):
    pass


class StoreUnavailable(StoreError):
    pass


class ConflictError(SocleError):
    pass


class EmbedderError(SocleError):
    pass
