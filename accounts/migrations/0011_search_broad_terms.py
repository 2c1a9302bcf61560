"""A search that is fast for a rare term and for one in every name, in one statement.

A page of accounts is found fastest one of two ways, and which depends on the term: for a rare one
from the bigram index's short list of candidates; for a term most accounts contain (every generated
name holds 有限公司) by the page's own ordered scan, which has its rows after a few hundred — where a
list would hold every account (100,000 ids for a 100,000-account tenant, all sorted before the
first page: p95 101 ms). The planner must know which before it plans, so both functions below are
declared IMMUTABLE, and with the term a literal it calls them while planning and plans with the
answer (the caller's condition is ``CASE WHEN kam_account_search_is_broad(term) THEN … ELSE
id = ANY(kam_account_search_ids(term)) AND … END``; accounts.account.filters.account_search).

IMMUTABLE is not true of them — they read the table. It is safe here because nothing keeps their
answer beyond the statement: no prepared statement or cached plan runs the search (psycopg2 sends
every statement with its values, and kam.db sets the tenant in the same message, before the
statement is planned), and no index or constraint uses them. They stay correct if called at run
time instead: they read the caller's current tenant only.

``kam_account_search_is_broad(terms)``: the term is in at least 5 % of a sample of the tenant's
newest 500 accounts (at least 100 sampled). It only steers the plan: the ILIKE recheck decides the
rows either way.

``kam_account_search_ids(terms)``: the ids the bigram index finds for the term (an array now, so
that it can be a planning-time constant; before, a set).

Both are SECURITY DEFINER, owned by the BYPASSRLS role ``kam_search`` (migration 0007), and see
only the caller's current tenant (``kam_current_tenant()``; none set: not broad, no ids).
"""

from django.db import migrations

FUNCTIONS = r"""
DROP FUNCTION IF EXISTS kam_account_search_ids(text);
CREATE FUNCTION kam_account_search_ids(terms text) RETURNS bigint[]
LANGUAGE sql IMMUTABLE STRICT SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
    SELECT coalesce(array_agg(id), '{}') FROM accounts_account
     WHERE tenant_id = kam_current_tenant()
       AND kam_bigrams(name || ' ' || short_name) @> kam_bigrams(terms)
$$;
CREATE FUNCTION kam_account_search_is_broad(terms text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
    SELECT count(*) >= 100 AND 20 * count(*) FILTER (
               WHERE strpos(lower(s.name || ' ' || s.short_name), lower(terms)) > 0) >= count(*)
      FROM (SELECT name, short_name FROM accounts_account
             WHERE tenant_id = kam_current_tenant() ORDER BY tenant_id, id DESC LIMIT 500) s
$$;
REVOKE ALL ON FUNCTION kam_account_search_ids(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION kam_account_search_is_broad(text) FROM PUBLIC;
DO $$ BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'kam_search' AND rolbypassrls)
       AND pg_has_role(current_user, 'kam_search', 'MEMBER') THEN
        GRANT CREATE ON SCHEMA public TO kam_search;
        ALTER FUNCTION kam_account_search_ids(text) OWNER TO kam_search;
        ALTER FUNCTION kam_account_search_is_broad(text) OWNER TO kam_search;
        REVOKE CREATE ON SCHEMA public FROM kam_search;
    END IF;
END $$;
"""

REVERSE = r"""
DROP FUNCTION IF EXISTS kam_account_search_is_broad(text);
DROP FUNCTION IF EXISTS kam_account_search_ids(text);
CREATE FUNCTION kam_account_search_ids(terms text) RETURNS SETOF bigint
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
        GRANT CREATE ON SCHEMA public TO kam_search;
        ALTER FUNCTION kam_account_search_ids(text) OWNER TO kam_search;
        REVOKE CREATE ON SCHEMA public FROM kam_search;
    END IF;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0010_tenant_primary_keys")]

    operations = [migrations.RunSQL(FUNCTIONS, REVERSE)]
