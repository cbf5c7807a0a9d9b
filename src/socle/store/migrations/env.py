"""Alembic environment: runs on the connection :class:`socle.store.database.Database` passes
in ``config.attributes["connection"]`` (already holding the migration lock), never on a URL
of its own."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, transaction_per_migration=True)
with context.begin_transaction():
    context.run_migrations()
