"""Alembic migrations of the store. Run through :mod:`leadflow.store.migrate`."""
