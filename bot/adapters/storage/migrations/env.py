"""Alembic environment: always run in-process on a connection handed over by `bot.adapters.storage.database`."""

from alembic import context

from bot.adapters.storage.schema import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
