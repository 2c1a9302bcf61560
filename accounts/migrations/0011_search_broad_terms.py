"""A search for a term most accounts contain (every generated name holds 有限公司) no longer builds
the list of every match first.

``kam_account_search_ids(terms)`` now returns an array, or NULL for a *broad* term: one found in at
least 5 % of a sample of the tenant's newest 500 accounts. For a broad term the caller's own
ordered scan, rechecking every row with ILIKE as before, fills a page within a few hundred rows, so
the index would only cost (it must return every match: 100,000 ids for a 100,000-account tenant,
then the page sorts them all). For the other terms the bigram index finds the candidates as before
(``kam_account_search_matches``, the former body); the caller's condition is
``COALESCE(id = ANY(<ids>), true)``, which an ordered scan evaluates cheaply row by row. Both are
SECURITY DEFINER, owned by the BYPASSRLS role ``kam_search`` (migration 0007), and see only the
caller's current tenant. The sample only steers the plan: the ILIKE recheck decides the rows.
"""

from django.db import migrations

FUNCTIONS = r"""
DROP FUNCTION IF EXISTS kam_account_search_ids(text);
CREATE FUNCTION kam_account_search_matches(terms text) RETURNS SETOF bigint
LANGUAGE sql STABLE STRICT SECURITY DEFINER ROWS 100
SET search_path = public, pg_temp
AS $$
    SELECT id FROM accounts_account
     WHERE tenant_id = kam_current_tenant()
       AND kam_bigrams(name || ' ' || short_name) @> kam_bigrams(terms)
$$;
CREATE FUNCTION kam_account_search_ids(terms text) RETURNS bigint[]
LANGUAGE plpgsql STABLE STRICT SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    tenant bigint := kam_current_tenant();
    pattern text := '%' || replace(replace(replace(lower(terms), '\', '\\'), '%', '\%'), '_', '\_')
                    || '%';
    sampled integer;
    hits integer;
BEGIN
    IF tenant IS NULL THEN
        RETURN '{}'::bigint[];
    END IF;
    SELECT count(*), count(*) FILTER (WHERE lower(s.name || ' ' || s.short_name) LIKE pattern)
      INTO sampled, hits
      FROM (SELECT name, short_name FROM accounts_account
             WHERE tenant_id = tenant ORDER BY tenant_id, id DESC LIMIT 500) s;
    IF sampled >= 100 AND hits * 20 >= sampled THEN
        RETURN NULL;  -- broad: the caller's ordered scan finds a page soon
    END IF;
    RETURN ARRAY(SELECT kam_account_search_matches(terms));
END
$$;
REVOKE ALL ON FUNCTION kam_account_search_matches(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION kam_account_search_ids(text) FROM PUBLIC;
DO $$ BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'kam_search' AND rolbypassrls)
       AND pg_has_role(current_user, 'kam_search', 'MEMBER') THEN
        GRANT CREATE ON SCHEMA public TO kam_search;
        ALTER FUNCTION kam_account_search_matches(text) OWNER TO kam_search;
        ALTER FUNCTION kam_account_search_ids(text) OWNER TO kam_search;
        REVOKE CREATE ON SCHEMA public FROM kam_search;
    END IF;
END $$;
"""

REVERSE = r"""
DROP FUNCTION IF EXISTS kam_account_search_ids(text);
DROP FUNCTION IF EXISTS kam_account_search_matches(text);
CREATE FUNCTION kam_account_search_ids(terms text) RETURNS SETOF bigint
LANGUAGE sql STABLE STRICT SECURITY DEFINER ROWS 100
SET search_path = public, pg_temp
AS $$
    SELECT id FROM accounts_account
     WHERE tenant_id = kam_current_tenant()
       AND kam_bigrams(name || ' ' || short_name) @> kam_bigrams(terms)
$$;
REVOKE ALL ON FUNCTION kam_account_search_ids(text) FROM PUBLIC;
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0010_tenant_primary_keys")]

    operations = [migrations.RunSQL(FUNCTIONS, REVERSE)]
