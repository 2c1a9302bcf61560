"""Names in the order people expect: account and contact names carry the names' collation
(``kam_name``: pinyin where the server has ICU, kam/migrations/0010), so the lists, their keyset
comparisons and their indexes agree; members are listed by the name they are shown by.

The embedded PostgreSQL (pip pgserver) is built without ICU: there ``kam_name`` is the database's
own order, and the pinyin tests are skipped (run them on a server with ICU: DATABASE_URL)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from accounts.account.selectors import member_choices
from kam.tenancy import tenant_context
from tests.accounts.profile.test_pages import make_contact
from tests.conftest import login, make_member
from tests.factories import make_account

pytestmark = pytest.mark.django_db

# In pinyin order: A-li-ba-ba, Bei-jing, Chong-qing (重 read chóng in 重庆), Hua-dong, Li, Wang,
# Zhang, Zhong-guo; Latin names after the Chinese ones (CLDR's zh order). By code point they
# would be Apple, zebra, 中国, 北京, 华东, 张, 李, 王, 重庆, 阿里巴巴.
PINYIN = ["阿里巴巴", "北京科技", "重庆钢铁", "华东精密", "李四", "王五", "张三", "中国石化", "Apple",
          "zebra"]


def server_has_icu() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT FROM pg_collation WHERE collname = 'zh-x-icu')")
        return cursor.fetchone()[0]


@pytest.fixture
def icu(db) -> None:
    if not server_has_icu():
        pytest.skip("this PostgreSQL has no ICU (the embedded one): it cannot sort by pinyin")


def test_names_carry_the_names_collation_and_it_is_pinyin_where_the_server_can():
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name, collation_name FROM information_schema.columns"
                       " WHERE column_name = 'name' AND table_name IN"
                       " ('accounts_account', 'accounts_contact')")
        assert dict(cursor.fetchall()) == {"accounts_account": "kam_name",
                                           "accounts_contact": "kam_name"}
        cursor.execute("SELECT c.collprovider, c.collcollate, d.datcollate FROM pg_collation c,"
                       " pg_database d WHERE c.collname = 'kam_name'"
                       " AND d.datname = current_database()")
        provider, collate, database_collate = cursor.fetchone()
    if server_has_icu():
        assert provider == "i"
    else:  # the database's own order, as before
        assert (provider, collate) == ("c", database_collate)


def test_chinese_names_sort_by_pinyin_in_the_lists_and_their_pages(icu, client, admin_a):
    # 3 × 10 names, made in no useful order: two pages of the list, forwards and back.
    names = [f"{name}{round_}" for round_ in range(3) for name in PINYIN]
    for name in reversed(names):
        account = make_account(admin_a.tenant, name)
        make_contact(account, name)
    expected = [f"{name}{round_}" for name in PINYIN for round_ in range(3)]
    login(client, admin_a)
    for url in (reverse("accounts:account-list"), reverse("accounts:contact-list")):
        first = client.get(url).context["page"]
        second = client.get(url, {"cursor": first.next_cursor}).context["page"]
        assert [row.name for row in first.items + second.items] == expected, url
        back = client.get(url, {"cursor": second.previous_cursor}).context["page"]
        assert [row.name for row in back.items] == expected[:25], url
        descending = client.get(url, {"sort": "-name"}).context["page"]
        assert [row.name for row in descending.items] == expected[::-1][:25], url


def test_members_are_listed_by_the_name_they_are_shown_by(admin_a):
    """Not by username: x 张伟, y 王芳, z 李娜 — by username 张 王 李; by code point 张 李 王;
    by pinyin 李 王 张. A Latin name sorts by its first name, as shown."""
    tenant = admin_a.tenant
    for username, last, first in (("x.zhang", "张", "伟"), ("y.wang", "王", "芳"),
                                  ("z.li", "李", "娜"), ("a.chen", "Chen", "Olivia")):
        member = make_member(tenant, username, "manager")
        member.user.first_name, member.user.last_name = first, last
        member.user.save()
    with tenant_context(tenant):
        shown = [m.display_name for m in member_choices() if m.pk != admin_a.pk]
    chinese = [name for name in shown if name != "Olivia Chen"]
    assert chinese == (["李娜", "王芳", "张伟"] if server_has_icu() else sorted(chinese))
    assert chinese != ["张伟", "王芳", "李娜"]  # the usernames' order
