"""The staff console's records, in the application's own database: staff accounts and their sessions, the audit
log, every chat message with its message id, human handoffs, 好差评 ratings, the unanswered-questions queue.

Storage is SQLAlchemy 2 with Alembic migrations (:mod:`assistant.console.db`): a SQLite file in the data directory
by default, the PostgreSQL of ``DATABASE_URL`` when set (the one the dialogue's tracker store uses). The modules
here are services over that database, with no HTTP: the application's routes (``api/routes``) are thin over them.
"""
