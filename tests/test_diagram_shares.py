"""Shares, triples and the privacy overlay in the diagram, on worlds the real core builds (Part 9).

Every test runs the learner's code on the real core, takes the steps a live view would record, and
reads the DOT back with tests/dot_reader.py: which share sits in which worker's box, which secret it
belongs to, where the crypto provider's arrows go, what the narration says in both languages, and
what the privacy overlay claims each worker has seen.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import torch

import syft_widgets as sy
from syft_widgets.diagram import narrate, to_dot
from syft_widgets.diagram.shares import SECRET_COLOURS, short_share_value
from syft_widgets.diagram.words import format_number, translator
from syft_widgets.events import Step
from tests.dot_reader import Dot, label_text, parse_dot, render_svg, svg_texts

BOB, ALICE, ME, CP = "cluster_bob", "cluster_alice", "cluster_me", "cluster_crypto_provider"
SHORT_SHARE = re.compile(r"\[-?\d{1,4}…\]")  # "[3439…]": the first digits of a random 64-bit share
BENGALI_DIGIT = re.compile("[০-৯]")


@dataclass
class Part9:
    env: Any
    cp: Any
    steps: list[Step]

    def last(self, op: str) -> Step:
        found = [s for s in self.steps if s.op == op]
        assert found, f"no {op!r} step among {[s.op for s in self.steps]}"
        return found[-1]


@pytest.fixture
def part9(env, steps) -> Iterator[Part9]:
    """Part 9's workers: bob and alice hold shares, crypto_provider deals the triples."""
    cp = sy.VirtualWorker(env.hook, id="crypto_provider")
    yield Part9(env, cp, steps)


def draw(step: Step, lang: str = "en", privacy: bool = False) -> Dot:
    return parse_dot(to_dot(step.snapshot, step=step, lang=lang, legend=False, privacy=privacy))


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
        assert "25" not in lines[1]
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


def test_mes_pointers_to_shares_carry_their_secret(part9) -> None:
    x = torch.tensor([25]).share(part9.env.bob, part9.env.alice, crypto_provider=part9.cp)
    dot = draw(part9.last("share"))
    pointers = [n for n in dot.in_cluster(ME) if "pointer" in dot.classes(n)]
    assert len(pointers) == 2
    for p in pointers:
        assert secret_of(dot, p) == f"secret_{x.secret_id}"
        (_tail, head, _attrs) = dot.edge(f"{p}_to")
        assert secret_of(dot, head) == f"secret_{x.secret_id}" and dot.cluster_of[head] in (BOB, ALICE)


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
    # The holders never send the crypto provider anything.
    assert not [a for a in arrows if a[1] == CP and a[0] in (BOB, ALICE)]
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


def test_fix_precision_on_a_worker_is_narrated(part9) -> None:
    ptr = torch.tensor([0.5, -1.25]).send(part9.env.bob)
    ptr.fix_precision()
    step = [s for s in part9.steps if s.detail.get("func") == "fix_precision"][-1]
    assert narrate(step, "en").startswith("bob turned tensor #") and narrate(step, "en").endswith(
        "into fixed point ×1,000"
    )
    assert narrate(step, "bn").endswith("স্থির দশমিক ×১,০০০-এ রূপান্তর করেছে")


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
            svg = render_svg(to_dot(step.snapshot, step=step, lang=lang, privacy=True))
            assert svg_texts(svg)
