"""Keep the bigram index usable under row-level security.

PostgreSQL may not evaluate a non-LEAKPROOF operator before a row-level-security policy, so under
RLS the GIN index of migration 0004 (``@>`` on text arrays is not leakproof) stopped being used and
a search filtered every row of the tenant. ``kam_account_search_ids(terms)`` asks the index on the
caller's behalf and returns the ids of **the caller's current tenant only** (``kam_current_tenant()``
is read from the caller's transaction; with no tenant set it returns nothing). It is SECURITY
DEFINER, owned by ``kam_search``: a NOLOGIN role with BYPASSRLS and nothing but SELECT on
``accounts_account``, which the application role cannot become. Where that role does not exist (a
database set up without it) the function stays with the owner role: still correct (RLS applies),
only not faster. The page and API then recheck every candidate with ILIKE under RLS as before.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION kam_account_search_ids(terms text) RETURNS SETOF bigint
LANGUAGE sql STABLE STRICT SECURITY DEFINER ROWS 100
SET search_path = public, pg_temp
AS $$
    SELECT id FROM accounts_account
     WHERE tenant_id = kam_current_tenant()
       AND kam_bigrams(name || ' ' || short_name) @> kam_bigrams(terms)
$$;
REVOKE ALL ON FUNCTION kam_account_search_ids(text) FROM PUBLIC;
DO $$ BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'kam_search' AND rolbypassrls)
       AND pg_has_role(current_user, 'kam_search', 'MEMBER') THEN
        GRANT SELECT ON accounts_account TO kam_search;
        GRANT CREATE ON SCHEMA public TO kam_search;
        ALTER FUNCTION kam_account_search_ids(text) OWNER TO kam_search;
        REVOKE CREATE ON SCHEMA public FROM kam_search;
    END IF;
END $$;
"""

REVERSE = "DROP FUNCTION IF EXISTS kam_account_search_ids(text);"


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_audit")]

    operations = [migrations.RunSQL(FUNCTION, REVERSE)]
