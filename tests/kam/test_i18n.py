"""The translation catalogs are complete, compiled and safe to interpolate.

These tests read the committed .po/.mo files only; they need no database, so they stay fast.
"""

from __future__ import annotations

import gettext
import re
import string
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.utils import translation

LOCALE_DIR = Path(__file__).resolve().parents[2] / "locale"
# (gettext locale directory, Django language code, expected nplurals)
LANGUAGES = [("zh_Hans", "zh-hans", 1)]

# printf-style conversions as Python's % operator reads them: %(name)s, %5.2f, %d, %% ...
PERCENT_RE = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<conv>[diouxXeEfFgGcrsa%])"
)
NAMED_PERCENT_RE = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
MUSTACHE_RE = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")


def percent_placeholders(text: str) -> Counter:
    """Named (%(x)s) and positional (%s) conversions, ignoring %%; the conversion letter counts."""
    found: Counter = Counter()
    for m in PERCENT_RE.finditer(text):
        if m["conv"] == "%":
            continue
        found[(m["name"], m["conv"])] += 1
    if any(name is not None for name, _ in found):
        # With a mapping, a name may be used any number of times; only the set matters.
        return Counter(set(found))
    return found


def brace_placeholders(text: str) -> Counter:
    """Field names of a str.format() template: {name}, {0}, {x.attr:>5}."""
    return Counter(field for _, field, _, _ in string.Formatter().parse(text) if field is not None)


def mustache_placeholders(text: str) -> Counter:
    return Counter(MUSTACHE_RE.findall(text))


def catalog_paths(lang: str) -> tuple[Path, Path]:
    base = LOCALE_DIR / lang / "LC_MESSAGES"
    return base / "django.po", base / "django.mo"


def live_entries(po: polib.POFile) -> list[polib.POEntry]:
    return [e for e in po if not e.obsolete]


def msgstrs(entry: polib.POEntry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def label(entry: polib.POEntry) -> str:
    ctx = f"[{entry.msgctxt}] " if entry.msgctxt is not None else ""
    return f"{ctx}{entry.msgid!r} ({', '.join(f'{f}:{n}' for f, n in entry.occurrences[:2])})"


def as_mapping(entries) -> dict:
    """(msgctxt, msgid, msgid_plural) -> msgstr, or a tuple of the plural forms in order."""
    out = {}
    for e in entries:
        if e.msgid == "":  # the header
            continue
        key = (e.msgctxt or None, e.msgid, e.msgid_plural or None)
        out[key] = tuple(msgstrs(e)) if e.msgid_plural else e.msgstr
    return out


@pytest.fixture(params=LANGUAGES, ids=[lang for lang, _, _ in LANGUAGES])
def language(request):
    return request.param


@pytest.fixture
def po(language) -> polib.POFile:
    po_path, _ = catalog_paths(language[0])
    assert po_path.is_file(), f"missing catalog {po_path}"
    return polib.pofile(str(po_path))


@pytest.fixture
def mo(language) -> polib.MOFile:
    _, mo_path = catalog_paths(language[0])
    assert mo_path.is_file(), (
        f"missing {mo_path}; run `manage.py compilemessages -l {language[0]}` and commit the .mo"
    )
    return polib.mofile(str(mo_path))


# --- the helpers themselves, so a broken regex cannot make the checks below vacuous ----------------


def test_placeholder_helpers_see_differences():
    assert percent_placeholders("%(first)s–%(last)s of %(total)s") == Counter(
        {("first", "s"): 1, ("last", "s"): 1, ("total", "s"): 1}
    )
    assert percent_placeholders("has %(n)d") != percent_placeholders("has %(n)s")
    assert percent_placeholders("has %(n)d") != percent_placeholders("has %(m)d")
    assert percent_placeholders("100%% of %s") == Counter({(None, "s"): 1})
    assert percent_placeholders("%s and %s") != percent_placeholders("%s")
    assert percent_placeholders("%(a)s %(a)s") == percent_placeholders("%(a)s")
    assert brace_placeholders("{name} has {count:d}") == Counter({"name": 1, "count": 1})
    assert mustache_placeholders("Delete {{ name }}?") == Counter({"name": 1})
    assert mustache_placeholders("{{name}}") != mustache_placeholders("{{ nom }}")


# --- the .po ----------------------------------------------------------------------------------------


def test_header(po, language):
    lang, _, nplurals = language
    md = po.metadata
    assert not po.metadata_is_fuzzy, "the header is marked fuzzy"
    assert md.get("Language") == lang
    assert "charset=UTF-8" in md.get("Content-Type", "")
    assert re.fullmatch(rf"nplurals={nplurals}; plural=.+;", md.get("Plural-Forms", "")), md.get(
        "Plural-Forms"
    )


def test_catalog_is_not_empty(po):
    assert len(live_entries(po)) > 50


def test_every_entry_is_translated(po, language):
    nplurals = language[2]
    problems = []
    for e in po:
        if e.obsolete:
            problems.append(f"obsolete (#~), remove it: {label(e)}")
            continue
        if "fuzzy" in e.flags:
            problems.append(f"fuzzy: {label(e)}")
        if e.msgid_plural:
            if sorted(e.msgstr_plural) != list(range(nplurals)):
                problems.append(
                    f"plural forms {sorted(e.msgstr_plural)}, expected 0..{nplurals - 1}: {label(e)}"
                )
            if not all(s.strip() for s in e.msgstr_plural.values()):
                problems.append(f"empty plural msgstr: {label(e)}")
        elif not e.msgstr.strip():
            problems.append(f"empty msgstr: {label(e)}")
    assert not problems, f"{len(problems)} untranslated entries:\n" + "\n".join(problems)
    assert po.percent_translated() == 100


def test_placeholders_match(po):
    problems = []
    for e in live_entries(po):
        # In a language with fewer plural forms, each form may stand for the plural msgid.
        sources = [e.msgid, e.msgid_plural] if e.msgid_plural else [e.msgid]
        for translated in msgstrs(e):
            if not translated:
                continue  # reported by test_every_entry_is_translated
            checks = [("{{ }}", mustache_placeholders)]
            if "python-format" in e.flags:
                checks.append(("%", percent_placeholders))
            if "python-brace-format" in e.flags:
                checks.append(("{}", brace_placeholders))
            for kind, extract in checks:
                wanted = [extract(s) for s in sources]
                got = extract(translated)
                if got not in wanted:
                    problems.append(
                        f"{kind} placeholders {sorted(got)} != {sorted(wanted[-1])}: {label(e)}"
                        f" -> {translated!r}"
                    )
            if "python-format" not in e.flags and NAMED_PERCENT_RE.search(translated):
                # Django does not interpolate this entry, so %(x)s would show up literally.
                problems.append(f"%(...) in a msgstr of a non-python-format entry: {label(e)}")
    assert not problems, "\n".join(problems)


def test_catalog_has_placeholders_to_check(po):
    """Guard against the placeholder test passing only because it found nothing to check."""
    formatted = [e for e in live_entries(po) if "python-format" in e.flags]
    assert formatted
    assert all(percent_placeholders(e.msgid) for e in formatted)


# --- the compiled .mo -------------------------------------------------------------------------------


def test_mo_matches_po(po, mo):
    """The committed .mo holds exactly the .po's translations: a forgotten compile fails here."""
    expected = as_mapping(e for e in live_entries(po) if "fuzzy" not in e.flags and all(msgstrs(e)))
    compiled = as_mapping(mo)
    hint = "run `manage.py compilemessages` and commit the .mo"
    missing = sorted(k[1] for k in expected.keys() - compiled.keys())
    extra = sorted(k[1] for k in compiled.keys() - expected.keys())
    changed = sorted(k[1] for k in expected.keys() & compiled.keys() if expected[k] != compiled[k])
    assert not missing, f"not in the .mo ({hint}): {missing}"
    assert not extra, f"in the .mo but not (or not translated) in the .po ({hint}): {extra}"
    assert not changed, f"the .mo differs from the .po ({hint}): {changed}"
    assert mo.metadata.get("Plural-Forms") == po.metadata.get("Plural-Forms"), hint


def test_django_serves_the_committed_translations(po, language):
    """Django finds the .mo through LOCALE_PATHS and returns the .po's msgstr for every entry."""
    plural = gettext.c2py(po.metadata["Plural-Forms"].split("plural=", 1)[1].rstrip("; "))
    problems = []
    with translation.override(language[1]):
        for e in live_entries(po):
            if e.msgid_plural:
                for n in (0, 1, 2, 5, 21):
                    expected = e.msgstr_plural[plural(n)]
                    if e.msgctxt is not None:
                        got = translation.npgettext(e.msgctxt, e.msgid, e.msgid_plural, n)
                    else:
                        got = translation.ngettext(e.msgid, e.msgid_plural, n)
                    if got != expected:
                        problems.append(f"n={n}: {got!r} != {expected!r}: {label(e)}")
            else:
                if e.msgctxt is not None:
                    got = translation.pgettext(e.msgctxt, e.msgid)
                else:
                    got = translation.gettext(e.msgid)
                if got != e.msgstr:
                    problems.append(f"{got!r} != {e.msgstr!r}: {label(e)}")
    assert not problems, "\n".join(problems)


# --- wording -----------------------------------------------------------------------------------------

# Words of how KAM is built, not of its users: a user sees their company's name or "your company"
# (贵公司), never the tenant (租户) or a workspace (企业空间, 工作空间); and one form of "your company".
INTERNAL_WORDS = re.compile(r"tenant|workspace|租户|企业空间|工作空间|贵司", re.IGNORECASE)


def test_users_never_read_internal_words(po):
    problems = []
    for e in live_entries(po):
        for text in [e.msgid, e.msgid_plural or "", *msgstrs(e)]:
            words = INTERNAL_WORDS.findall(PERCENT_RE.sub("", MUSTACHE_RE.sub("", text)))
            if words:
                problems.append(f"{sorted(set(words))}: {label(e)} -> {text!r}")
    assert not problems, "\n".join(problems)


def test_the_internal_words_check_sees_them():
    found = INTERNAL_WORDS.findall(PERCENT_RE.sub("", "Switch tenant %(tenant)s 贵司 企业空间"))
    assert found == ["tenant", "贵司", "企业空间"]
