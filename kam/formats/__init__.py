"""Per-language formats (settings.FORMAT_MODULE_PATH): what Django's own locale formats get wrong
for this product. Only the names set here differ from Django's; ``kam.l10n`` formats money, counts,
percentages and relative days on top of them.

- English: one unambiguous date for every English reader, "2 Dec 2026" and "2 Dec 2026, 15:08".
  Django has one "en" (US) format, 12/02/2026, which a reader in Singapore, London or Shanghai
  reads as 12 February; the month written as a word is read the same way everywhere. The 24-hour
  clock is what the product's users (supplier companies in China and their customers) use at work,
  and it keeps "p.m." out of sentences ("data as of … p.m.." ended with two full stops).
- Chinese: dates stay Django's "2026年12月2日 15:08"; amounts are grouped by thousands
  ("8,410,520"), as Chinese business documents and ERPs print them (Django's zh_Hans has no
  separator at all).
"""
