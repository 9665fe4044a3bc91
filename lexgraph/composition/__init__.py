"""The composition root: the one place that turns ``Settings`` into adapters.

The API's lifespan, each worker kind, the CLI and the tests ask here for what they need (a
migrated database engine, the job store, a worker's container); no other module constructs
an adapter. That keeps the choice of backend (SQLite or PostgreSQL, LanceDB or Weaviate, which
model server) in one room, and the rest of the code written against the Protocols in ``core``.
"""
