"""The nightly job's statements (care.services.care_reminders_generate): one INSERT … SELECT …
ON CONFLICT DO NOTHING per kind of occasion. Python has already worked out which stored month/
day pairs (and leap flags) fall on which days of the window (care.calendar); the statements join
that list to the contacts or contracts. A reminder that exists (the unique contact or contract,
occasion, festival and year) is skipped, so a second run inserts nothing.

Skipped: contacts who opted out or left (the join to the contact and its account's owner is
the same in the birthday and festival statements), accounts without an owner."""

# Birthdays: w lists (month, day, lunar, leap, day it falls on, year of its calendar); leap 1 a
# leap-month lunar birthday, 0 an ordinary one, NULL either.
BIRTHDAYS = """INSERT INTO care_carereminder (tenant_id, account_id, contact_id, contract_id,
                               occasion, festival_id, occurs_on, year, owner_id, status, created_at,
                               updated_at)
SELECT c.tenant_id, c.account_id, c.id, NULL, 'birthday', NULL, w.on_day, w.year, a.owner_id,
       'open', %(now)s, %(now)s
  FROM unnest(%(months)s::int[], %(days)s::int[], %(lunar)s::bool[], %(leap)s::int[],
              %(on)s::date[], %(years)s::int[]) AS w(month, day, lunar, leap, on_day, year)
  JOIN accounts_contact c ON c.tenant_id = %(tenant)s AND c.birthday IS NOT NULL
                         AND EXTRACT(MONTH FROM c.birthday) = w.month
                         AND EXTRACT(DAY FROM c.birthday) = w.day
                         AND c.birthday_is_lunar = w.lunar
                         AND (w.leap IS NULL OR c.birthday_lunar_leap = (w.leap = 1))
  JOIN accounts_account a ON a.tenant_id = c.tenant_id AND a.id = c.account_id
                         AND a.owner_id IS NOT NULL
 WHERE c.tenant_id = %(tenant)s AND c.is_active AND NOT c.care_opt_out
ON CONFLICT DO NOTHING
RETURNING id"""

# Festivals: w lists (occasion, the company's festival or NULL, day, year, for Chinese-language
# accounts or the others); every cared-for contact of such an account. An account's language is
# its own, else the company's default (%(company_chinese)s).
FESTIVALS = """INSERT INTO care_carereminder (tenant_id, account_id, contact_id, contract_id,
                               occasion, festival_id, occurs_on, year, owner_id, status, created_at,
                               updated_at)
SELECT c.tenant_id, c.account_id, c.id, NULL, w.occasion, w.festival, w.on_day, w.year,
       a.owner_id, 'open', %(now)s, %(now)s
  FROM unnest(%(occasions)s::varchar[], %(festivals)s::bigint[], %(on)s::date[], %(years)s::int[],
              %(chinese)s::bool[]) AS w(occasion, festival, on_day, year, chinese)
 CROSS JOIN accounts_contact c
  JOIN accounts_account a ON a.tenant_id = c.tenant_id AND a.id = c.account_id
                         AND a.owner_id IS NOT NULL
 WHERE c.tenant_id = %(tenant)s AND c.is_active AND NOT c.care_opt_out
   AND w.chinese = (a.language = 'zh' OR (a.language = '' AND %(company_chinese)s))
ON CONFLICT DO NOTHING
RETURNING id"""

# Contract anniversaries: w lists (month, day of the start date, day it falls on, year); active
# contracts started in an earlier year.
ANNIVERSARIES = """INSERT INTO care_carereminder (tenant_id, account_id, contact_id, contract_id,
                               occasion, festival_id, occurs_on, year, owner_id, status, created_at,
                               updated_at)
SELECT k.tenant_id, k.account_id, NULL, k.id, 'anniversary', NULL, w.on_day, w.year, a.owner_id,
       'open', %(now)s, %(now)s
  FROM unnest(%(months)s::int[], %(days)s::int[], %(on)s::date[], %(years)s::int[])
       AS w(month, day, on_day, year)
  JOIN accounts_contract k ON k.tenant_id = %(tenant)s AND k.status = 'active'
                          AND EXTRACT(MONTH FROM k.start_date) = w.month
                          AND EXTRACT(DAY FROM k.start_date) = w.day
                          AND EXTRACT(YEAR FROM k.start_date) < w.year
  JOIN accounts_account a ON a.tenant_id = k.tenant_id AND a.id = k.account_id
                         AND a.owner_id IS NOT NULL
ON CONFLICT DO NOTHING
RETURNING id"""
