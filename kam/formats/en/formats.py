# English for every English reader (kam/formats/__init__.py says why): 2 Dec 2026, 15:08.
DATE_FORMAT = "j M Y"  # 2 Dec 2026
SHORT_DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"  # 15:08
DATETIME_FORMAT = "j M Y, H:i"  # 2 Dec 2026, 15:08
SHORT_DATETIME_FORMAT = "j M Y, H:i"
YEAR_MONTH_FORMAT = "F Y"  # December 2026
MONTH_DAY_FORMAT = "j F"  # 2 December
FIRST_DAY_OF_WEEK = 1  # Monday, as in China and ISO 8601
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
