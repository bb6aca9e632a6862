"""The interface catalogs: every string translated into Arabic and French, placeholders kept,
the committed .mo files compiled from the current .po files, and the pages in each language.

After adding or changing an interface string: ``make translations``, translate the new
entries in ar and fr, and ``make translations`` again to compile."""

from __future__ import annotations

import gettext
import html
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

import archive

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = Path(archive.__file__).resolve().parent / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
TRANSLATED = ("ar", "fr")  # every msgid needs a msgstr; English falls back to the msgid
LANGUAGES = ("ar", "en", "fr")
TITLES = {
    "ar": "أرشيف التاريخ الشفوي للحركة الأسيرة",
    "en": "Prisoners' Movement Oral History Archive",
    "fr": "Archive d'histoire orale du mouvement des prisonniers",
}
ARABIC_PLURAL = "(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5)"
# %(name)s and the like; %% is a literal percent sign, not a placeholder
COUNT = "%(num)s"  # how ngettext passes the number to the strings
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[#0 +-]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")


def po_path(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"


def read_catalog(lang: str):
    with po_path(lang).open("rb") as fh:
        return read_po(fh, locale=lang)


def read_template():
    with TEMPLATE.open("rb") as fh:
        return read_po(fh)


def entries(catalog):
    """The catalog's messages without the header entry."""
    return [message for message in catalog if message.id]


def key(message) -> tuple[str, str | None]:
    msgid = message.id[0] if isinstance(message.id, tuple | list) else message.id
    return msgid, message.context


def as_tuple(value):
    """read_mo gives plural ids and strings as lists, read_po as tuples."""
    return tuple(value) if isinstance(value, tuple | list) else value


def placeholders(text: str) -> set[str]:
    return {m.group(0) for m in PLACEHOLDER.finditer(text) if m.group(0) != "%%"}


def names(text: str) -> set[str]:
    return {m.group(1) for m in PLACEHOLDER.finditer(text) if m.group(1)}


def single_number_forms(catalog) -> set[int]:
    """Plural forms chosen for exactly one n (Arabic 0, 1 and 2): the number may be spelled
    out in them ("مادتان"), so they need not repeat the count placeholder."""
    plural = gettext.c2py(catalog.plural_expr)
    counts: dict[int, int] = {}
    for n in range(1000):
        counts[plural(n)] = counts.get(plural(n), 0) + 1
    return {form for form, count in counts.items() if count == 1}


def test_template_lists_every_interface_string():
    """Strings in the code and templates that are missing from messages.pot would never be
    translated: `make translations` brings the template and the catalogs up to date."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh, str(ROOT / "babel.cfg"))
    keywords = {**DEFAULT_KEYWORDS, "_l": None}  # the Makefile extracts with -k _l
    found = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        ROOT, method_map, options_map, keywords=keywords
    ):
        msgid = message[0] if isinstance(message, tuple | list) else message
        if msgid:
            found.setdefault((msgid, context), f"{filename}:{lineno}")
    known = {key(message) for message in entries(read_template())}
    missing = sorted(
        f"{where}: {msgid!r}" for (msgid, ctx), where in found.items() if (msgid, ctx) not in known
    )
    assert not missing, "not in messages.pot, run `make translations`:\n" + "\n".join(missing)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated(lang):
    catalog = read_catalog(lang)
    by_key = {key(message): message for message in entries(catalog)}
    missing = []
    for wanted in entries(read_template()):
        message = by_key.get(key(wanted))
        if message is None:
            missing.append(f"{wanted.id!r} (not in the catalog: run `make translations`)")
        elif message.fuzzy:
            missing.append(f"{wanted.id!r} (fuzzy)")
        elif isinstance(message.id, tuple | list):
            forms = list(message.string) if isinstance(message.string, tuple | list) else []
            if len(forms) != catalog.num_plurals or not all(forms):
                missing.append(f"{message.id!r} (needs {catalog.num_plurals} plural forms)")
        elif not message.string:
            missing.append(repr(message.id))
    assert not missing, f"untranslated in {po_path(lang)}:\n" + "\n".join(missing)


def test_arabic_has_six_plural_forms():
    catalog = read_catalog("ar")
    assert catalog.num_plurals == 6
    assert catalog.plural_expr.replace(" ", "") == ARABIC_PLURAL.replace(" ", "")
    plural = gettext.c2py(catalog.plural_expr)
    expected = {0: 0, 1: 1, 2: 2, 3: 3, 10: 3, 11: 4, 99: 4, 100: 5, 102: 5, 103: 3, 111: 4}
    assert {n: plural(n) for n in expected} == expected


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogs_are_current(lang, tmp_path):
    """The .mo files are committed: they must be what `pybabel compile` makes of the .po."""
    committed = po_path(lang).with_suffix(".mo")
    assert committed.exists(), f"{committed} is missing: run `make translations`"
    fresh = tmp_path / "messages.mo"
    with fresh.open("wb") as fh:
        write_mo(fh, read_catalog(lang))

    def content(path: Path):
        with path.open("rb") as fh:
            catalog = read_mo(fh)
        messages = {(as_tuple(m.id), m.context): as_tuple(m.string) for m in catalog if m.id}
        return catalog.plural_forms, messages

    plural_forms, messages = content(committed)
    wanted_plural_forms, wanted = content(fresh)
    stale = sorted(
        repr(msgid)
        for msgid in messages.keys() | wanted.keys()
        if messages.get(msgid) != wanted.get(msgid)
    )
    if plural_forms != wanted_plural_forms:
        stale.insert(0, f"Plural-Forms: {plural_forms!r} instead of {wanted_plural_forms!r}")
    assert not stale, (
        f"{committed} is out of date with its .po file, run `make translations`:\n"
        + "\n".join(stale)
    )


def test_arabic_plurals_in_the_app(app):
    from flask_babel import ngettext

    expected = {
        0: "لا توجد مواد",
        1: "مادة واحدة",
        2: "مادتان",
        5: "5 مواد",
        11: "11 مادةً",
        100: "100 مادة",
        103: "103 مواد",
    }
    with app.test_request_context("/?lang=ar"):
        got = {n: ngettext("%(num)s item", "%(num)s items", n) for n in expected}
    assert got == expected


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_placeholders(lang):
    catalog = read_catalog(lang)
    exempt = single_number_forms(catalog)
    problems = []
    for message in entries(catalog):
        if not message.string or (
            isinstance(message.string, tuple | list) and not any(message.string)
        ):
            continue  # reported by test_every_message_is_translated
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        forms = message.string if isinstance(message.string, tuple | list) else (message.string,)
        wanted = set().union(*(placeholders(text) for text in ids))
        allowed = set().union(*(names(text) for text in ids))
        for index, text in enumerate(forms):
            if not text:
                continue
            needed = wanted
            if len(ids) > 1 and index in exempt:
                needed = wanted - {COUNT}  # a form used for one number may spell it out
            lost = needed - placeholders(text)
            if lost:
                problems.append(f"{ids[0]!r} → {text!r}: lost {sorted(lost)}")
            # templates always %-format the translation: an unknown name raises KeyError
            # and a stray % raises ValueError
            try:
                text % {name: 1 for name in allowed}
            except (KeyError, ValueError, TypeError) as exc:
                problems.append(f"{ids[0]!r} → {text!r}: cannot be formatted ({exc!r})")
    assert not problems, f"placeholders in {po_path(lang)}:\n" + "\n".join(problems)


@pytest.mark.parametrize(("lang", "direction"), [("ar", "rtl"), ("fr", "ltr"), ("en", "ltr")])
def test_home_page_in_each_language(client, lang, direction):
    response = client.get(f"/?lang={lang}")
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert f'<html lang="{lang}" dir="{direction}">' in page
    assert f'dir="{direction}"' in page
    assert TITLES[lang] in page
    for other, title in TITLES.items():
        if other != lang:
            assert title not in page


def test_language_is_remembered(client):
    client.get("/?lang=fr")
    page = html.unescape(client.get("/").get_data(as_text=True))
    assert TITLES["fr"] in page
    assert '<html lang="fr" dir="ltr">' in page
