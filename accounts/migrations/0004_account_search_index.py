"""Substring search on account names through an index, on any PostgreSQL.

pg_trgm is not available everywhere KAM runs (the embedded pgserver build ships without it), so the
same idea is built from core parts: an IMMUTABLE function giving the distinct lower-case bigrams of a
text, and a GIN index on the bigrams of "name short_name". A search for ``q`` first asks the index
for rows holding every bigram of ``q`` (a necessary condition for containing it), then rechecks
with ILIKE. Bigrams suit Chinese names well (most words are two characters).
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION kam_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(lower(t), i, 2)), '{}'::text[])
      FROM generate_series(1, length(t) - 1) AS i
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_importjob")]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS kam_bigrams(text);"),
        migrations.RunSQL(
            "CREATE INDEX account_search_bigrams_idx ON accounts_account "
            "USING gin (kam_bigrams(name || ' ' || short_name));",
            "DROP INDEX IF EXISTS account_search_bigrams_idx;",
        ),
    ]
