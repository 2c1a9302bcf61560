"""The collation people's and companies' names are sorted by: ``kam_name``.

Chinese names sort by pinyin (阿里巴巴, 北京科技, 华东精密, 张三 …), not by code point, where the
server has ICU: ``zh-u-co-pinyin`` (CLDR's pinyin order; Latin names after the Chinese ones). A
server built without ICU — the embedded one of ``pgserver`` — cannot sort by pinyin; there
``kam_name`` is the database's own order (the libc locale it was created with), which is what
names were sorted by before, so nothing else changes on it. The columns, their indexes and the
keyset comparisons of the lists all use the column's collation, so the order, the "next page"
comparisons and the index agree whichever one this is. ``kam.models.NAME_COLLATION`` names it.

A server that gains ICU later keeps its libc ``kam_name`` until it is replaced (drop and create
it from ``zh-u-co-pinyin`` and ``REINDEX`` the name indexes: README, "Names in pinyin order").
"""

from django.db import migrations

CREATE = """
DO $$
BEGIN
    CREATE COLLATION kam_name (provider = icu, locale = 'zh-u-co-pinyin');
EXCEPTION WHEN feature_not_supported THEN  -- "ICU is not supported in this build"
    EXECUTE format('CREATE COLLATION kam_name (provider = libc, locale = %L)',
                   (SELECT datcollate FROM pg_database WHERE datname = current_database()));
END
$$;
"""


class Migration(migrations.Migration):

    dependencies = [
        ("kam", "0011_tenantsettingschange"),
    ]

    operations = [
        migrations.RunSQL(CREATE, reverse_sql="DROP COLLATION kam_name;"),
    ]
