"""Shares, triples and the privacy overlay in the diagram, on worlds the real core builds (Part 9).

Every test runs the learner's code on the real core, takes the steps a live view would record, and
reads the DOT back with tests/dot_reader.py: which share sits in which worker's box, which secret it
belongs to, where the crypto provider's arrows go, what the narration says in both languages, and
what the privacy overlay claims each worker has seen.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
import torch

import syft_widgets as sy
from syft_widgets.diagram import narrate, to_dot
from syft_widgets.diagram.shares import SECRET_COLOURS, short_share_value
from syft_widgets.diagram.words import format_number, translator
from syft_widgets.encrypted.seen import SeenLedger, WorkerSeen
from syft_widgets.events import Step
from syft_widgets.widgets._drawing import pointer_names
from tests.dot_reader import Dot, label_text, parse_dot, render_svg, svg_texts
from tests.helpers import RecordingComm

BOB, ALICE, ME, CP = "cluster_bob", "cluster_alice", "cluster_me", "cluster_crypto_provider"
SHORT_SHARE = re.compile(r"\[-?\d{1,4}…\]")  # "[3439…]": the first digits of a random 64-bit share
BENGALI_DIGIT = re.compile("[০-৯]")


@dataclass
class Part9:
    env: Any
    cp: Any
    steps: list[Step]

    def seen_after(self, step: Step) -> dict[str, WorkerSeen]:
        """The privacy record right after ``step``: the core's ledger folded over the steps up to it."""
        ledger = SeenLedger()
        for s in self.steps:
            ledger.add_step(s)
            if s is step:
                return ledger.as_dict()
        raise AssertionError(f"step {step.index} was not recorded")

    def last(self, op: str) -> Step:
        found = [s for s in self.steps if s.op == op]
        assert found, f"no {op!r} step among {[s.op for s in self.steps]}"
        return found[-1]


@pytest.fixture
def part9(env, steps) -> Iterator[Part9]:
    """Part 9's workers: bob and alice hold shares, crypto_provider deals the triples."""
    cp = sy.VirtualWorker(env.hook, id="crypto_provider")
    yield Part9(env, cp, steps)


def draw(step: Step, lang: str = "en", seen: Mapping[str, WorkerSeen] | None = None) -> Dot:
    return parse_dot(to_dot(step.snapshot, step=step, lang=lang, legend=False, seen=seen))


def shares_in(dot: Dot, cluster: str) -> list[str]:
    return sorted(
        n for n in dot.in_cluster(cluster) if "share" in dot.classes(n) and "tensor" in dot.classes(n)
    )


def secret_of(dot: Dot, node: str) -> str:
    [secret] = [c for c in dot.classes(node) if c.startswith("secret_")]
    return secret


def stored_share(worker: Any) -> tuple[int, torch.Tensor]:
    [(obj_id, share)] = list(worker._objects.items())
    return obj_id, share


# ---- shares drawn inside their holders' boxes -------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "bn"])
def test_each_share_is_drawn_in_its_holders_box_with_a_short_random_value(part9, lang) -> None:
    bob, alice = part9.env.bob, part9.env.alice
    x = torch.tensor([25]).share(bob, alice, crypto_provider=part9.cp)
    dot = draw(part9.last("share"), lang)
    _ = translator(lang)
    for worker, cluster, place in ((bob, BOB, 1), (alice, ALICE, 2)):
        obj_id, share = stored_share(worker)
        assert shares_in(dot, cluster) == [f"obj_{obj_id}"]
        lines = label_text(dot.nodes[f"obj_{obj_id}"]["label"])
        assert lines[0] == _("{kind} #{id}").format(kind=_("share"), id=obj_id)
        # The value is the share's own first digits, not the secret.
        assert lines[1] == short_share_value(str(share.tolist())) and SHORT_SHARE.fullmatch(lines[1])
        assert lines[1] != "[25]"
        place_text = f"{format_number(place, lang)}/{format_number(2, lang)}"
        assert lines[-1] == _("secret #{id} · {place}").format(id=x.secret_id, place=place_text)
    assert not shares_in(dot, ME) and not shares_in(dot, CP)


def test_shares_of_one_secret_share_a_colour_and_a_dotted_line_two_secrets_differ(part9) -> None:
    bob, alice = part9.env.bob, part9.env.alice
    x = torch.tensor([25]).share(bob, alice, crypto_provider=part9.cp)
    y = torch.tensor([5]).share(bob, alice, crypto_provider=part9.cp)
    dot = draw(part9.last("share"))
    by_secret: dict[str, list[str]] = {}
    for node in shares_in(dot, BOB) + shares_in(dot, ALICE):
        by_secret.setdefault(secret_of(dot, node), []).append(node)
    assert set(by_secret) == {f"secret_{x.secret_id}", f"secret_{y.secret_id}"}
    colours = {}
    for secret, nodes in by_secret.items():
        assert len(nodes) == 2
        assert {dot.cluster_of[n] for n in nodes} == {BOB, ALICE}
        assert len({dot.nodes[n]["color"] for n in nodes}) == 1, "one secret, one colour"
        colours[secret] = dot.nodes[nodes[0]]["color"]
        assert colours[secret] in {outline for outline, _fill in SECRET_COLOURS}
        links = [a for t, h, a in dot.edges if {t, h} == set(nodes)]
        assert len(links) == 1 and links[0]["style"] == "dotted" and links[0]["color"] == colours[secret]
    assert len(set(colours.values())) == 2, "two secrets, two colours"


def test_mes_pointers_to_shares_carry_their_secret_and_variable_in_the_step_that_made_them(part9) -> None:
    bob, alice = part9.env.bob, part9.env.alice
    x = torch.tensor([25]).share(bob, alice, crypto_provider=part9.cp)
    step = part9.last("share")
    dot = parse_dot(to_dot(step.snapshot, step=step, names=pointer_names({"x": x}), legend=False))
    pointers = [n for n in dot.in_cluster(ME) if "pointer" in dot.classes(n)]
    assert len(pointers) == 2
    for p in pointers:
        assert secret_of(dot, p) == f"secret_{x.secret_id}"
        assert label_text(dot.nodes[p]["label"])[0] == "x"  # the learner's variable, on each of its pointers
        (_tail, head, _attrs) = dot.edge(f"{p}_to")
        assert secret_of(dot, head) == f"secret_{x.secret_id}" and dot.cluster_of[head] in (BOB, ALICE)
    # A product's pointers are in the picture of the multiplication itself.
    y = torch.tensor([5]).share(bob, alice, crypto_provider=part9.cp)
    z = x * y
    dot = draw(part9.last("shared_op"))
    product = [n for n in dot.in_cluster(ME) if f"secret_{z.secret_id}" in dot.classes(n)]
    assert len(product) == 2 and all("pointer" in dot.classes(n) for n in product)


def test_fixed_precision_shares_are_marked(part9) -> None:
    torch.tensor([0.5, -1.25]).fix_precision().share(part9.env.bob, part9.env.alice, crypto_provider=part9.cp)
    for lang in ("en", "bn"):
        dot = draw(part9.last("share"), lang)
        mark = translator(lang)("fixed point ×{scale}").format(scale=format_number(1000, lang))
        for node in shares_in(dot, BOB) + shares_in(dot, ALICE):
            assert "fixed" in dot.classes(node)
            assert mark in label_text(dot.nodes[node]["label"])


# ---- the crypto provider's triples ------------------------------------------------------------------


def test_triples_go_from_the_crypto_provider_to_each_holder_and_nothing_comes_back(part9) -> None:
    bob, alice = part9.env.bob, part9.env.alice
    x = torch.tensor([25]).share(bob, alice, crypto_provider=part9.cp)
    y = torch.tensor([5]).share(bob, alice, crypto_provider=part9.cp)
    z = x * y
    step = part9.last("shared_op")
    assert step.detail["func"] == "mul"
    dot = draw(step)
    arrows = dot.messages()
    triples = [(s, r) for s, r, label in arrows if label.startswith("Beaver triple")]
    assert sorted(triples) == [(CP, ALICE), (CP, BOB)]
    for _tail, _head, attrs in dot.edges:
        if "message" in attrs.get("class", "") and "Beaver triple" in attrs.get("label", ""):
            assert {"crypto", "triple"} <= set(attrs["class"].split())
            assert attrs["style"] == "dashed"
    # The holders never send the crypto provider anything; me only asks it to deal.
    assert not [a for a in arrows if a[1] == CP and a[0] in (BOB, ALICE)]
    assert [(s, label) for s, r, label in arrows if r == CP] == [(ME, "please deal")]
    # The product is a new secret, shared by bob and alice; me holds no value.
    assert {secret_of(dot, n) for n in shares_in(dot, BOB) + shares_in(dot, ALICE)} >= {
        f"secret_{z.secret_id}"
    }
    assert "[125]" not in " ".join(a.get("label", "") for a in dot.nodes.values())


# ---- .get(): the shares come home and the value appears ---------------------------------------------


def test_get_draws_the_shares_coming_home_and_the_value_in_mes_box(part9) -> None:
    bob, alice = part9.env.bob, part9.env.alice
    x = torch.tensor([25]).share(bob, alice, crypto_provider=part9.cp)
    y = torch.tensor([5]).share(bob, alice, crypto_provider=part9.cp)
    z = x * y
    before = part9.last("shared_op").snapshot
    share_ids = [
        o.id
        for w in ("bob", "alice")
        for o in before.worker(w).objects
        if o.share and o.share.secret == z.secret_id
    ]
    assert len(share_ids) == 2
    assert z.get().tolist() == [125]
    step = part9.last("reconstruct")
    dot = draw(step)
    node = f"revealed_{z.secret_id}"
    assert dot.cluster_of[node] == ME
    assert "[125]" in label_text(dot.nodes[node]["label"])
    homes = [tail for tail, head, a in dot.edges if head == node and "share-home" in a["class"]]
    # One dashed arrow home from the ghost of each share, in its holder's box.
    assert sorted(dot.cluster_of[g] for g in homes) == [ALICE, BOB]
    for ghost in homes:
        assert dot.classes(ghost) == {"tensor", "removed"}
        assert label_text(dot.nodes[ghost]["label"])[0] in {f"tensor #{i}" for i in share_ids}
    # Drawn in that step only: the next step no longer shows it.
    torch.tensor([1]).share(bob, alice, crypto_provider=part9.cp)
    assert node not in draw(part9.last("share")).nodes


# ---- narration, both languages ----------------------------------------------------------------------


def test_sharing_is_narrated_with_each_holders_share(part9) -> None:
    bob, alice = part9.env.bob, part9.env.alice
    x = torch.tensor([25]).share(bob, alice, crypto_provider=part9.cp)  # kept: its shares stay stored
    step = part9.last("share")
    assert step.detail["secret"] == x.secret_id
    b, a = (
        short_share_value(str(stored_share(bob)[1].tolist())),
        short_share_value(str(stored_share(alice)[1].tolist())),
    )
    assert narrate(step, "en") == f"me split [25] into 2 shares: bob {b} and alice {a}"
    assert narrate(step, "bn") == f"me [25]-কে ২টি ভাগে (share) ভাগ করেছে: bob {b} এবং alice {a}"


@pytest.mark.parametrize(
    ("code", "en", "bn"),
    [
        pytest.param(
            "x * y",
            "bob and alice multiplied their shares with a triple from crypto_provider",
            "bob এবং alice crypto_provider-এর দেওয়া একটি ট্রিপল দিয়ে নিজেদের ভাগ গুণ করেছে",
            id="mul",
        ),
        pytest.param(
            "x + y",
            "bob and alice each computed + (add) on their own shares, without a message to each other",
            "bob এবং alice প্রত্যেকে নিজের ভাগে + (যোগ) হিসাব করেছে, একে অপরকে কোনো বার্তা না পাঠিয়ে",
            id="add",
        ),
        pytest.param(
            "x > y",
            "bob and alice compared their shares with > (greater than) using masks from crypto_provider; "
            "the answer is shared too",
            "bob এবং alice crypto_provider-এর দেওয়া মুখোশ (mask) নিয়ে নিজেদের ভাগ > (বড়) দিয়ে তুলনা করেছে; "
            "উত্তরটিও ভাগ হয়ে আছে",
            id="gt",
        ),
    ],
)
def test_computing_on_shares_is_narrated(part9, code, en, bn) -> None:
    x = torch.tensor([25]).share(part9.env.bob, part9.env.alice, crypto_provider=part9.cp)
    y = torch.tensor([5]).share(part9.env.bob, part9.env.alice, crypto_provider=part9.cp)
    eval(code, {"x": x, "y": y})
    step = part9.last("shared_op")
    assert (narrate(step, "en"), narrate(step, "bn")) == (en, bn)


def test_max_is_narrated_with_its_name(part9) -> None:
    x = torch.tensor([2, 3, 4, 1]).share(part9.env.bob, part9.env.alice, crypto_provider=part9.cp)
    x.max()
    step = part9.last("shared_op")
    assert narrate(step, "en") == (
        "bob and alice computed max of their shares with masks from crypto_provider; the answer is shared too"
    )
    assert narrate(step, "bn").startswith("bob এবং alice crypto_provider-এর দেওয়া মুখোশ (mask)")


def test_reconstruction_is_narrated_with_the_value(part9) -> None:
    x = torch.tensor([25]).share(part9.env.bob, part9.env.alice, crypto_provider=part9.cp)
    x.get()
    step = part9.last("reconstruct")
    assert narrate(step, "en") == "me fetched 2 shares from bob and alice and added them up: [25]"
    assert narrate(step, "bn") == "me bob এবং alice থেকে ২টি ভাগ এনে যোগ করেছে: [25]"


def test_part10_a_worker_shares_its_own_value_and_me_gets_only_pointers(part9) -> None:
    bob, alice = part9.env.bob, part9.env.alice
    param = torch.tensor([0.5, -1.25]).send(bob)
    shared = param.fix_precision().share(bob, alice, crypto_provider=part9.cp).get()
    split, fetched = part9.last("share"), part9.last("get")
    said = narrate(split, "en")
    assert said.startswith("bob split a secret into 2 shares: bob [") and said.endswith(
        "(fixed point ×1,000)"
    )
    assert "[0.5, -1.25]" not in said and "[500, -1250]" not in said, "the learner is not told bob's value"
    assert narrate(split, "bn").startswith("bob একটি গোপন মানকে ২টি ভাগে (share) ভাগ করেছে")
    assert (
        narrate(fetched, "en") == "me fetched the shared value from bob: the pointers to its shares, no value"
    )
    assert narrate(fetched, "bn").startswith("me bob-এর কাছ থেকে ভাগ করা মানটি এনেছে")
    dot = draw(fetched, seen=part9.seen_after(fetched))
    assert "[0.5, -1.25] from me" in seen_note(dot, BOB)  # bob's own parameter, sent by me
    assert seen_note(dot, ALICE)[0] == "saw nothing in the clear"
    assert seen_note(dot, CP) == ["saw nothing in the clear"]
    assert shared.get().float_precision().tolist() == [0.5, -1.25]


def test_dropping_a_shared_value_is_narrated_as_its_shares_going(part9) -> None:
    bill = sy.VirtualWorker(part9.env.hook, id="bill")
    x = torch.tensor([25]).share(part9.env.bob, part9.env.alice, bill)
    first = x.secret_id
    x = torch.tensor([25]).share(part9.env.bob, part9.env.alice)  # Part 9 cell 23: the first x is dropped
    step = part9.last("gc")
    assert bill._objects == {} and x.secret_id != first
    assert narrate(step, "en") == (
        f"garbage collection: the 3 shares of secret #{first} on bob, alice, and bill were deleted"
    )
    assert narrate(step, "bn") == (
        f"গার্বেজ কালেকশন: bob, alice এবং bill-এর কাছে থাকা গোপন মান #{first}-এর ৩টি ভাগ মুছে ফেলা হয়েছে"
    )


def test_fix_precision_on_a_worker_is_marked_and_narrated_both_ways(part9) -> None:
    ptr = torch.tensor([0.5, -1.25]).send(part9.env.bob)
    fixed = ptr.fix_precision()
    step = [s for s in part9.steps if s.detail.get("func") == "fix_precision"][-1]
    encoded = f"tensor #{fixed.id_at_location}"
    assert narrate(step, "en") == f"bob turned {encoded} into fixed point ×1,000"
    assert narrate(step, "bn") == f"bob টেন্সর #{fixed.id_at_location}-কে স্থির দশমিক ×১,০০০-এ রূপান্তর করেছে"
    # The stored encoding is a plain tensor marked fixed point (not a share: bob can read it).
    node = f"obj_{fixed.id_at_location}"
    for lang in ("en", "bn"):
        dot = draw(step, lang)
        assert (
            dot.cluster_of[node] == BOB and "fixed" in dot.classes(node) and "share" not in dot.classes(node)
        )
        lines = label_text(dot.nodes[node]["label"])
        assert lines[1] == "[500, -1250]"
        assert lines[-1] == translator(lang)("fixed point ×{scale}").format(scale=format_number(1000, lang))
    back = fixed.float_precision()
    step = [s for s in part9.steps if s.detail.get("func") == "float_precision"][-1]
    assert narrate(step, "en") == f"bob turned tensor #{back.id_at_location} back into floats"
    assert narrate(step, "bn") == f"bob টেন্সর #{back.id_at_location}-কে আবার দশমিক সংখ্যায় (float) ফিরিয়েছে"


# ---- the privacy overlay ----------------------------------------------------------------------------


def seen_note(dot: Dot, cluster: str) -> list[str]:
    [node] = [n for n in dot.in_cluster(cluster) if "seen" in dot.classes(n)]
    return label_text(dot.nodes[node]["label"])


def test_overlay_says_holders_saw_nothing_and_me_saw_its_own_value_and_the_result(part9) -> None:
    bob, alice = part9.env.bob, part9.env.alice
    x = torch.tensor([25]).share(bob, alice, crypto_provider=part9.cp)
    y = torch.tensor([5]).share(bob, alice, crypto_provider=part9.cp)
    (x * y).get()
    for lang in ("en", "bn"):
        _ = translator(lang)
        step = part9.last("reconstruct")
        dot = draw(step, lang, seen=part9.seen_after(step))
        for cluster in (BOB, ALICE, CP):
            assert seen_note(dot, cluster)[0] == _("saw nothing in the clear")
        me = seen_note(dot, ME)
        assert me[0] == _("saw in the clear:")
        assert _("its own value {value}").format(value="[25]") in me
        assert _("its own value {value}").format(value="[5]") in me
        assert _("{value}, revealed from shares").format(value="[125]") in me
    # Without the toggle, no notes at all.
    assert not [n for n in draw(part9.last("reconstruct")).nodes if n.startswith("seen_")]


def test_overlay_shows_a_plain_tensor_a_worker_received(part9) -> None:
    torch.tensor([1, 2, 3]).send(part9.env.bob)
    step = part9.last("send")
    dot = draw(step, seen=part9.seen_after(step))
    assert "[1, 2, 3] from me" in seen_note(dot, BOB)
    assert seen_note(dot, ALICE) == ["saw nothing in the clear"]


def test_overlay_of_an_older_step_shows_what_was_seen_then(part9) -> None:
    bob, alice = part9.env.bob, part9.env.alice
    x = torch.tensor([25]).share(bob, alice, crypto_provider=part9.cp)
    first = part9.last("share")
    x.get()
    then = seen_note(draw(first, seen=part9.seen_after(first)), ME)
    assert "its own value [25]" in then and "[25], revealed from shares" not in then
    now = part9.last("reconstruct")
    assert "[25], revealed from shares" in seen_note(draw(now, seen=part9.seen_after(now)), ME)


def test_overlay_counts_are_in_the_views_digits(part9) -> None:
    x = torch.tensor([25]).share(part9.env.bob, part9.env.alice, crypto_provider=part9.cp)
    y = torch.tensor([5]).share(part9.env.bob, part9.env.alice, crypto_provider=part9.cp)
    (x * y).get()
    step = part9.last("reconstruct")
    bob = seen_note(draw(step, "bn", seen=part9.seen_after(step)), BOB)
    counts = " ".join(bob[1:])
    assert BENGALI_DIGIT.search(counts) and not re.search("[0-9]", counts), bob


# ---- Graphviz lays it out without a warning ---------------------------------------------------------


def test_every_part9_step_renders_without_warnings_in_both_languages(part9) -> None:
    bob, alice = part9.env.bob, part9.env.alice
    x = torch.tensor([25]).share(bob, alice, crypto_provider=part9.cp)
    y = torch.tensor([5]).share(bob, alice, crypto_provider=part9.cp)
    (x * y).get()
    (x > y).get()
    recorded = [s for s in part9.steps if s.op in ("share", "shared_op", "reconstruct")]
    assert len(recorded) >= 6
    for lang in ("en", "bn"):
        for step in recorded[-3:]:
            svg = render_svg(to_dot(step.snapshot, step=step, lang=lang, seen=part9.seen_after(step)))
            assert svg_texts(svg)


# ---- the live view: the toggle, view.seen and the saved replay --------------------------------------


@pytest.fixture
def view(part9, monkeypatch) -> Iterator[Any]:
    import comm

    monkeypatch.setattr(comm, "create_comm", RecordingComm)
    v = sy.show()
    yield v
    v.close()


def plain(value: object) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and plain(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(plain(v) for v in value)
    return value is None or isinstance(value, (str, int, float, bool))


def test_view_seen_is_plain_data_that_matches_the_overlay(part9, view) -> None:
    bob, alice = part9.env.bob, part9.env.alice
    x = torch.tensor([25]).share(bob, alice, crypto_provider=part9.cp)
    y = torch.tensor([5]).share(bob, alice, crypto_provider=part9.cp)
    (x * y).get()
    seen = view.seen
    assert plain(seen), "view.seen holds plain data only"
    json.dumps(seen)  # and it can be written out as it is
    assert all(seen[w]["saw_nothing"] for w in ("bob", "alice", "crypto_provider"))
    assert next(iter(seen)) == "me" and not seen["me"]["saw_nothing"]
    assert seen["bob"]["shares"] >= 2 and seen["bob"]["clear"] == []
    me = seen["me"]
    assert [(e["how"], e["preview"]) for e in me["clear"]][-3:] == [
        ("own", "[25]"),
        ("own", "[5]"),
        ("revealed", "[125]"),
    ]
    # It prints as one sentence per worker, in the view's language (a learner reads it in a cell).
    lines = repr(seen).splitlines()
    assert "me: saw in the clear: its own value [25]; its own value [5]; [125], revealed from shares" in lines
    assert next(line for line in lines if line.startswith("bob: ")).startswith(
        "bob: saw nothing in the clear; "
    )
    view.lang = "bn"
    assert "alice: সরাসরি কিছুই দেখেনি; ২টি ভাগ (এলোমেলো দেখতে)" in repr(view.seen)
    view.lang = "en"
    # The overlay of the newest step says the same.
    view.privacy = True
    dot = parse_dot(view.dot)
    assert seen_note(dot, BOB)[0] == "saw nothing in the clear"
    assert "[125], revealed from shares" in seen_note(dot, ME)


def test_the_saved_replay_carries_the_overlay_for_every_step(part9, view) -> None:
    x = torch.tensor([25]).share(part9.env.bob, part9.env.alice, crypto_provider=part9.cp)
    x.get()
    data = view.replay_data()
    assert data["privacy"] is False
    for lang in ("en", "bn"):
        table = data["languages"][lang]
        assert len(table["privacy_dots"]) == len(table["dots"]) == len(view.steps)
        for plain, overlay in zip(table["dots"], table["privacy_dots"], strict=True):
            assert not [n for n in parse_dot(plain).nodes if n.startswith("seen_")]
            drawn = parse_dot(overlay)
            notes = {drawn.cluster_of[n] for n in drawn.nodes if n.startswith("seen_")}
            assert notes == set(drawn.clusters), "one note in every worker's box"
            assert notes >= {ME, BOB, ALICE, CP}
