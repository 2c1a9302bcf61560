"""KAM's database layer: the PostgreSQL backend that carries the tenant into every statement.

``ENGINE = "kam.db"`` is Django's PostgreSQL backend plus three things (see ``base.py``):

* every statement is sent together with ``set_config('app.tenant_id', <current tenant>, true)``,
  so the row-level-security policies see the tenant of the ``kam.tenancy`` ContextVar — local to
  the statement's transaction, never to the session (a pooled connection carries nothing over);
* the application connects as a role that owns nothing and cannot bypass RLS, and refuses to run
  otherwise (``checks.py``); migrations, test-database creation and flushes switch to the owner role;
* after ``migrate`` the application role gets exactly the privileges it needs (``grants.py``).

``operations.py`` has the migration operations that put a table under RLS and add composite
``(tenant_id, parent_id)`` foreign keys.
"""
