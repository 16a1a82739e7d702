"""The Chinese text follows one rule, as the notes write it: one word for a
node, 结点 (never 门 or 节点); 不可导点 for a kink (拐点 is an inflection point);
no space between two Chinese characters or beside full-width punctuation; a
space between Chinese and Latin letters or digits; full-width punctuation,
never an ASCII colon, comma or bracket, after Chinese."""
import re
from pathlib import Path
import string

import pytest

from bptutor.i18n import areas, catalog, t

CJK = "\u4e00-\u9fff\u3400-\u4dbf"
FULL_WIDTH = "\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u201c\u201d\u2018\u2019"
RULES = {
    "a space between Chinese and Latin": re.compile(rf"[{CJK}][A-Za-z0-9]|[A-Za-z0-9][{CJK}]"),
    "no space between Chinese characters": re.compile(rf"[{CJK}] [{CJK}]"),
    "no space beside full-width punctuation": re.compile(rf"(?<! ) [{FULL_WIDTH}]|[{FULL_WIDTH}] (?! )"),
    "full-width punctuation after Chinese": re.compile(rf"[{CJK}][:,;()!?]|[(][{CJK}]"),
    "one word for a node": re.compile("门|节点"),
    "不可导点 for a kink": re.compile("拐点"),
}
# A command synopsis keeps the command line's own ASCII syntax.
SYNTAX = {"help.man_synopsis"}


def breaches(text: str) -> list[str]:
    """Where `text` breaks the rule (runs of spaces that align columns aside)."""
    found = []
    for rule, pattern in RULES.items():
        for m in pattern.finditer(text):
            found.append(f"{rule}: {text[max(0, m.start() - 12):m.end() + 12]!r}")
    return found


@pytest.mark.parametrize("area", areas())
def test_every_chinese_catalog_string_follows_the_spacing_rule(area):
    bad = []
    for key, entry in catalog(area).items():
        if key in SYNTAX:
            continue
        # the literal text around the placeholders: what a placeholder holds is checked where it is rendered
        for literal, *_ in string.Formatter().parse(entry["zh"]):
            bad += [f"{key}: {b}" for b in breaches(literal)]
    assert not bad, "\n".join(bad)


def test_the_rule_finds_what_the_issue_found():
    assert breaches("z的梯度") and breaches("结点 传给") and breaches("变量取值:") and breaches("乘法门")
    assert not breaches("x+y 结点的梯度为 1 × 0.20 = 0.20，所以 w2 结点的梯度")


SNAPSHOTS = sorted((Path(__file__).parent / "snapshots").glob("*"))


@pytest.mark.parametrize("path", [p for p in SNAPSHOTS if re.search(f"[{CJK}]", p.read_text(encoding="utf-8"))],
                         ids=lambda p: p.name)
def test_every_rendered_chinese_snapshot_follows_the_spacing_rule(path):
    # what placeholders hold meets the catalogs' text here: `w2 的梯度`, `W2 有 2 条路径`
    bad = [f"{path.name}:{n}: {b}" for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
           for b in breaches(line)]
    assert not bad, "\n".join(bad)


def test_a_name_beside_chinese_text_is_spaced_where_it_is_filled_in():
    assert t("render.sum", "zh", target="W2", count=2, formula="…") == "W2 有 2 条路径汇合，梯度相加：…"
    assert t("tensor.edge", "zh", gate="q^2", shape="", target="q 结点", tshape=" (2,)", local="…", upstream="…",
             rule="…") == "q^2 结点对 q 结点 (2,) 的局部梯度为 …，从前面传过来的梯度为 …，所以 …"
    assert t("tensor.edge", "zh", gate="q", shape=" (2,)", target="W", tshape="", local="…", upstream="…",
             rule="…") == "q 结点 (2,) 对 W 的局部梯度为 …，从前面传过来的梯度为 …，所以 …"
    # English and Chinese values (x+y 结点) are left as they are
    assert t("render.sum", "en", target="W2", count=2, formula="…").startswith("2 paths meet at W2")
    assert t("render.sum", "zh", target="x+y 结点", count=2, formula="…").startswith("x+y 结点有 2 条")
