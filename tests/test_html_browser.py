"""--format html in a real browser: headless Chromium (Debian's `chromium`, driven
by Playwright) opens the page, clicks "next" three times, and the third node of
the walk is highlighted, in the DOM and in the screenshot's pixels; the arrow
keys step too; with JavaScript off, or printed, the page shows every step.

Skipped, loudly (see tests/conftest.py), where Chromium or Playwright is missing;
.ci/run installs both and sets BPTUTOR_REQUIRE_BROWSER, which makes that a failure."""
import io
import os
import shutil

import pytest

import bptutor
from helpers import run

SIGMOID = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
SIGMOID_VALS = "w0=2,x0=-1,w1=-3,x1=-2,w2=-3"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
HIGHLIGHT = (0xEF, 0x6C, 0x00)          # html.HIGHLIGHT: a lit box's ring
LIT_FILL = (0xFF, 0xE0, 0xB2)           # ... and its fill


def chromium() -> str | None:
    return os.environ.get("BPTUTOR_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def missing(why: str):
    if os.environ.get("BPTUTOR_REQUIRE_BROWSER"):
        pytest.fail(why)
    pytest.skip(f"BROWSER TEST SKIPPED: {why}")


@pytest.fixture
def browser(tmp_path):
    """open(path, javascript=True) -> a Playwright page on a fresh profile."""
    executable = chromium()
    if executable is None:
        missing("no Chromium (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright is not installed (pip install -e '.[test]')")
    contexts = []
    with sync_playwright() as p:
        def open_page(path, javascript=True):
            context = p.chromium.launch_persistent_context(
                str(tmp_path / f"profile{len(contexts)}"), executable_path=executable, args=FLAGS,
                headless=True, java_script_enabled=javascript, viewport={"width": 1100, "height": 900})
            contexts.append(context)
            page = context.new_page()
            page.goto(path.as_uri())
            return page
        yield open_page
        for context in contexts:
            context.close()


def write_page(tmp_path, *options, name="page.html"):
    code, out, err = run(SIGMOID, "--vals", SIGMOID_VALS, "--digits", "2", "--format", "html", *options)
    assert code == 0, err
    path = tmp_path / name
    path.write_text(out, encoding="utf-8")
    return path


def lit_pixels(page, selector: str) -> int:
    """Pixels in the highlight's colours inside the element's box on a screenshot."""
    from PIL import Image
    box = page.locator(selector).bounding_box()
    shot = Image.open(io.BytesIO(page.screenshot(clip=box))).convert("RGB")
    near = lambda c, ref: all(abs(a - b) <= 24 for a, b in zip(c, ref))      # noqa: E731 -- antialiasing
    return sum(n for n, c in shot.getcolors(1 << 24) if near(c, HIGHLIGHT) or near(c, LIT_FILL))


def lit_boxes(page) -> list[str]:
    return page.eval_on_selector_all("#bp svg .box.bp-on", "els => els.map(e => e.id)")


@pytest.mark.parametrize("lang,counter", [("en", "Forward pass (left to right) · step 3 of 21"),
                                          ("zh", "前向传播（从左往右） · 第 3 步，共 21 步")])
def test_next_three_times_highlights_the_third_node(browser, tmp_path, lang, counter):
    d = bptutor.derive(SIGMOID, dict(w0=2, x0=-1, w1=-3, x1=-2, w2=-3))
    third = [i for i, n in enumerate(d.graph.nodes) if n.args][2]
    assert d.graph.nodes[third].label == "w0*x0+w1*x1"                   # the first + gate: node 6
    page = browser(write_page(tmp_path, "--lang", lang))
    assert page.locator(".bp-next").is_visible()
    assert lit_boxes(page) == [] and lit_pixels(page, f"#bp_n{third}") == 0
    for _ in range(3):
        page.click(".bp-next")
    assert lit_boxes(page) == [f"bp_n{third}"]
    assert page.inner_text(".bp-counter") == counter
    assert " ".join(page.inner_text(".bp-now").split())[-3:] == "= 4"    # its sentence beneath the picture
    lit_wires = page.eval_on_selector_all("#bp svg g.bp-on.wire", "els => els.map(e => e.id)")
    assert {"bp_w4", "bp_w5", "bp_w6", "bp_w6_in", "bp_w6_out"} <= set(lit_wires)   # -2 and 6 in, 4 out
    assert lit_pixels(page, f"#bp_n{third}") > 100
    assert lit_pixels(page, "#bp_n2") == 0                             # the first * gate is not lit
    page.screenshot(path=str(tmp_path / f"third_{lang}.png"))           # kept out of the repo
    page.click(".bp-prev")
    assert lit_boxes(page) == ["bp_n5"]                               # back: w1*x1
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert lit_boxes(page) == ["bp_n8"] and page.inner_text(".bp-counter").endswith(
        "4 of 21" if lang == "en" else "第 4 步，共 21 步")


def test_the_backward_pass_lights_the_gate_and_the_wire_its_gradient_goes_to(browser, tmp_path):
    page = browser(write_page(tmp_path, "--lang", "en"))
    for _ in range(10):                      # 8 forward stops, the seed, then 1/x towards +1
        page.click(".bp-next")
    assert lit_boxes(page) == ["bp_n12"]
    assert page.inner_text(".bp-counter") == "Backward pass (right to left) · step 10 of 21"
    lit = page.eval_on_selector_all("#bp svg g.bp-on.wire", "els => els.map(e => e.id)")
    assert set(lit) == {"bp_w11", "bp_w11_in", "bp_w11_out", "bp_w12", "bp_w12_in", "bp_w12_out"}


def test_without_javascript_the_page_shows_every_step(browser, tmp_path):
    d = bptutor.derive(SIGMOID, dict(w0=2, x0=-1, w1=-3, x1=-2, w2=-3))
    page = browser(write_page(tmp_path, "--lang", "en"), javascript=False)
    assert not page.locator(".bp-controls").is_visible()
    steps = page.locator(".bp-backward li")
    assert steps.count() == len(d.steps) == 13
    assert all(steps.nth(k).is_visible() for k in range(steps.count()))
    assert page.locator(".bp-forward li").count() == 8
    assert page.locator("#bp svg").is_visible() and lit_boxes(page) == []
    page.screenshot(path=str(tmp_path / "nojs.png"), full_page=True)


def test_printed_after_stepping_the_page_shows_every_step_without_the_buttons(browser, tmp_path):
    page = browser(write_page(tmp_path, "--lang", "zh"))
    for _ in range(3):
        page.click(".bp-next")
    page.emulate_media(media="print")
    assert not page.locator(".bp-controls").is_visible()
    steps = page.locator(".bp-forward li, .bp-backward li")
    assert steps.count() == 8 + 13 and all(steps.nth(k).is_visible() for k in range(steps.count()))
    assert page.eval_on_selector("li.bp-on", "e => getComputedStyle(e).outlineStyle") == "none"
    page.emulate_media(media="screen")
    assert page.eval_on_selector("li.bp-on", "e => getComputedStyle(e).outlineStyle") == "solid"


def test_two_notebook_outputs_on_one_page_step_on_their_own(browser, tmp_path):
    """_repr_html_ where the notebook runs its outputs' script: each derivation has
    its own ids and buttons, and its arrow keys once it has the focus."""
    first = bptutor.derive("(x+y)*z", {"x": -2, "y": 5, "z": -4})
    second = bptutor.derive(SIGMOID, dict(w0=2, x0=-1, w1=-3, x1=-2, w2=-3))
    a, b = first._repr_html_(), second._repr_html_()
    ids = [html.split('id="', 1)[1].split('"', 1)[0] for html in (a, b)]
    path = tmp_path / "notebook.html"
    path.write_text(f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>nb</title></head><body>"
                    f"<div class='cell'>{a}</div><div class='cell'>{b}</div></body></html>", encoding="utf-8")
    page = browser(path)
    for _ in range(3):
        page.click(f"#{ids[1]} .bp-next")
    lit = page.eval_on_selector_all("svg .box.bp-on", "els => els.map(e => e.id)")
    assert lit == [f"{ids[1]}_n6"]                                     # the sigmoid's first + gate only
    page.focus(f"#{ids[0]}")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    lit = page.eval_on_selector_all("svg .box.bp-on", "els => els.map(e => e.id)")
    assert sorted(lit) == sorted([f"{ids[0]}_n4", f"{ids[1]}_n6"])      # (x+y)*z's * gate, the other as it was
    assert page.inner_text(f"#{ids[0]} .bp-counter").endswith("step 2 of 7")
