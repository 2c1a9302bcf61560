# Simplified Chinese: Django's dates (2026年12月2日 15:08), amounts grouped by thousands with a
# comma (8,410,520.00) as Chinese invoices and ERPs print them; Django's zh_Hans has no separator.
DATE_FORMAT = "Y年n月j日"  # 2026年12月2日
SHORT_DATE_FORMAT = "Y年n月j日"
TIME_FORMAT = "H:i"  # 15:08
DATETIME_FORMAT = "Y年n月j日 H:i"  # 2026年12月2日 15:08
SHORT_DATETIME_FORMAT = "Y年n月j日 H:i"
YEAR_MONTH_FORMAT = "Y年n月"  # 2026年12月
MONTH_DAY_FORMAT = "n月j日"  # 12月2日
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
