"""Every message exists in en and zh with the same placeholders; every key the
code uses exists (op rows' lessons: tests/test_ops.py)."""
import re
import string
from pathlib import Path

import pytest

from bptutor.i18n import LANGS, areas, catalog, pick_lang, t

PKG = Path(__file__).resolve().parent.parent / "bptutor"


def placeholders(text):
    return sorted({name for _, name, _, _ in string.Formatter().parse(text) if name})


@pytest.mark.parametrize("area", areas())
def test_every_catalog_reads_without_tomllib_exactly_as_tomllib_reads_it(area):
    import tomllib

    from bptutor.i18n import FOLDER, _flatten, read_catalog
    with open(f"{FOLDER}/{area}.toml", encoding="utf-8") as file:
        text = file.read()
    expected = {}
    _flatten(tomllib.loads(text), area, expected)
    assert read_catalog(text, area) == expected


def test_the_catalog_reader_follows_toml_strings_and_refuses_the_rest():
    from bptutor.i18n import read_catalog
    text = ('# a comment\n[a.b]  # trailing\nen = "say \\"hi\\" \\u00e9 # not a comment" # one\n'
            'zh = """\nline one \\\n    continued\n  "quoted" \\t tab"""\n[a]\n[c]\nen = \'literal\'\n')
    assert read_catalog(text, "x") is None                      # a literal string: tomllib's job
    got = read_catalog(text.split("[c]")[0], "x")
    assert got == {"x.a.b": {"en": 'say "hi" é # not a comment', "zh": 'line one continued\n  "quoted" \t tab'}}


@pytest.mark.parametrize("area", areas())
def test_catalog_entries_have_both_languages_with_the_same_placeholders(area):
    entries = catalog(area)
    assert entries, area
    for key, entry in entries.items():
        assert set(entry) == set(LANGS), key
        assert all(entry[lang].strip() for lang in LANGS), key
        assert placeholders(entry["en"]) == placeholders(entry["zh"]), key


def test_every_key_used_in_the_code_exists():
    pattern = re.compile(r"""["']((?:%s)\.[a-z_0-9.]+)["']""" % "|".join(areas()))
    known = {key for area in areas() for key in catalog(area)}
    missing = set()
    for path in PKG.rglob("*.py"):
        for key in pattern.findall(path.read_text(encoding="utf-8")):
            if key not in known and not key.endswith("."):
                missing.add((path.name, key))
    assert not missing


def test_language_choice_order():
    assert pick_lang("zh", {}) == "zh"
    assert pick_lang(None, {"BPTUTOR_LANG": "zh_CN", "LANG": "en_US"}) == "zh"
    assert pick_lang(None, {"LANGUAGE": "", "LC_ALL": "zh_CN.UTF-8"}) == "zh"
    assert pick_lang(None, {"LANG": "en_US.UTF-8"}) == "en"
    assert pick_lang(None, {}) == "en"


def test_messages_fill_in_parameters():
    assert t("syntax.arity", "zh", name="max", expected=2, given=1) == "max() 需要 2 个参数，这里给了 1 个"
