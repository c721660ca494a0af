"""Part 9's first cells in a real JupyterLab, bn and en: shares in the boxes, the triple, the privacy overlay.

Runs notebooks/part9_shares.ipynb (and its English twin) cell by cell, reads the live view's SVG and
toolbar, toggles the privacy overlay with its button and compares what the page says each worker has
seen with ``view.seen`` in the kernel. Screenshots go to test-artifacts/shares_<lang>*.png.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from syft_widgets.diagram.words import translator
from tests.browser.lab_page import (
    KERNEL_PRINT_JS,
    Notebook,
    check_digits,
    eventually,
    objects_in,
    open_notebook,
    screenshot,
)

pytestmark = pytest.mark.browser

# Cell indices in tests/browser/notebooks/part9_shares.ipynb (cell 0 is markdown).
SETUP, VIEW, SHARE, MULTIPLY, GET = range(1, 6)

# How long a picture may take to arrive on a loaded machine (the full suite runs beside other work).
WAIT = 45

SEEN_JSON = "print(__import__('json').dumps(view.seen))"


def shares_of(state: dict[str, Any], worker: str) -> list[str]:
    return [n for n in objects_in(state, worker, "tensor") if "share" in state["nodes"][n]["cls"].split()]


def secret_classes(state: dict[str, Any], nodes: list[str]) -> set[str]:
    return {c for n in nodes for c in state["nodes"][n]["cls"].split() if c.startswith("secret_")}


def seen_text(state: dict[str, Any], worker: str) -> str:
    notes = [
        n
        for n in state["clusters"].get(f"cluster_{worker}", [])
        if "seen" in state["nodes"][n]["cls"].split()
    ]
    assert len(notes) == 1, (worker, notes)
    return str(state["nodes"][notes[0]]["text"])


@pytest.mark.parametrize("lang", ["bn", "en"])
def test_part9_shares_triples_and_the_privacy_overlay(
    lab, page_and_watch, artifacts: Path, lang: str
) -> None:
    page, watch = page_and_watch
    _ = translator(lang)
    name = "part9_shares.ipynb" if lang == "bn" else "part9_shares_en.ipynb"
    nb = open_notebook(page, lab, name)
    for cell in (SETUP, VIEW, SHARE):
        nb.run(cell)

    def two_secrets_on_each_holder(state: dict[str, Any]) -> None:
        bob, alice = shares_of(state, "bob"), shares_of(state, "alice")
        assert len(bob) == 2 and len(alice) == 2, (bob, alice)
        assert len(secret_classes(state, bob)) == 2 and secret_classes(state, bob) == secret_classes(
            state, alice
        )
        assert not shares_of(state, "me") and not shares_of(state, "crypto_provider")
        for node in bob + alice:
            assert "…" in state["nodes"][node]["text"], "a share shows only its first digits"

    eventually(nb, two_secrets_on_each_holder, "x and y as two shares each on bob and alice", timeout=WAIT)

    nb.run(MULTIPLY)

    def triples_from_the_provider(state: dict[str, Any]) -> None:
        triples = [e for e in state["edges"].values() if "triple" in e["cls"].split()]
        assert len(triples) == 2, state["edges"]
        assert all(_("Beaver triple") in e["label"] for e in triples)
        assert all(e["title"].startswith("anchor_crypto_provider") for e in triples), triples
        assert state["narration"] == _(
            "{holders} multiplied their shares with a triple from {provider}"
        ).format(holders="bob এবং alice" if lang == "bn" else "bob and alice", provider="crypto_provider")

    eventually(nb, triples_from_the_provider, "the product's triples", timeout=WAIT)
    screenshot(page, nb.views().nth(0), artifacts / f"shares_{lang}_triple.png")

    nb.run(GET)
    assert "125" in nb.output_text(GET)

    def value_came_home(state: dict[str, Any]) -> None:
        revealed = [
            n for n in state["clusters"].get("cluster_me", []) if "revealed" in state["nodes"][n]["cls"]
        ]
        assert len(revealed) == 1 and "[125]" in state["nodes"][revealed[0]]["text"], revealed
        assert not [n for n in state["nodes"] if n.startswith("seen_")], "the overlay is off until toggled"

    before = eventually(nb, value_came_home, "the value in me's box after z.get()", timeout=WAIT)
    check_digits(before, lang)
    root = nb.views().nth(0)
    screenshot(page, root, artifacts / f"shares_{lang}.png")

    # The toolbar's toggle, in the view's language, draws the overlay into every box.
    toggle = root.locator(".syft-privacy")
    assert toggle.text_content() == _("Privacy")
    assert toggle.get_attribute("title") == _("Show what each worker has seen in the clear")
    assert toggle.get_attribute("aria-pressed") == "false"
    toggle.click()

    def overlay_drawn(state: dict[str, Any]) -> None:
        for worker in ("bob", "alice", "crypto_provider"):
            assert _("saw nothing in the clear") in seen_text(state, worker), worker
        me = seen_text(state, "me")
        assert _("saw in the clear:") in me and "[25]" in me and "[125]" in me, me

    state = eventually(nb, overlay_drawn, "the privacy overlay", timeout=WAIT)
    assert toggle.get_attribute("aria-pressed") == "true"
    check_digits(state, lang)
    screenshot(page, root, artifacts / f"shares_{lang}_privacy.png")

    # The kernel's record says the same as the page.
    seen = json.loads(str(page.evaluate(KERNEL_PRINT_JS, SEEN_JSON)))
    assert [w for w, s in seen.items() if s["saw_nothing"]] == ["bob", "alice", "crypto_provider"]
    assert {e["preview"] for e in seen["me"]["clear"]} >= {"[25]", "[5]", "[125]"}
    assert str(page.evaluate(KERNEL_PRINT_JS, "print(view.privacy)")).strip() == "True"

    toggle.click()

    def overlay_gone(state: dict[str, Any]) -> None:
        assert not [n for n in state["nodes"] if n.startswith("seen_")]

    eventually(nb, overlay_gone, "the overlay off again", timeout=WAIT)
    assert toggle.get_attribute("aria-pressed") == "false"

    # The saved page replays offline with the same toggle, from the overlay pictures it carries.
    saved = lab.root / f"part9_shares_{lang}.html"
    out = str(page.evaluate(KERNEL_PRINT_JS, f"print(view.save({str(saved)!r}))"))
    assert out.strip() == str(saved), out
    page.goto(saved.as_uri())
    replay = page.locator(".syft-view")
    replay.wait_for()
    offline = Notebook(page)
    offline.settled(what="the saved page's picture")
    assert not [n for n in offline.state()["nodes"] if n.startswith("seen_")]
    replay.locator(".syft-privacy").click()

    def replayed_overlay(state: dict[str, Any]) -> None:
        assert _("saw nothing in the clear") in seen_text(state, "bob")
        assert "[125]" in seen_text(state, "me")

    eventually(offline, replayed_overlay, "the overlay in the saved page", timeout=WAIT)
    screenshot(page, replay, artifacts / f"shares_{lang}_replay.png")
    assert not watch.outside_requests and not watch.our_page_errors(), (
        watch.outside_requests,
        watch.page_errors,
    )
