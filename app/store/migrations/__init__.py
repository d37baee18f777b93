"""Alembic migrations for the SQL store; app.store.engine.upgrade runs them."""
