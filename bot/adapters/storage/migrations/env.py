"""Alembic environment: always run in-process on a connection handed over by `bot.adapters.storage.database`.

The target metadata is the whole schema: `schema` holds every table, so nothing depends on which
store modules happen to be imported first.
"""

from alembic import context

from bot.adapters.storage import schema

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=schema.Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
