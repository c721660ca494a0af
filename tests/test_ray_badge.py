"""The Ray badge: the diagram says under a Ray worker's name where it runs, in both languages.

Pure diagram tests on hand-made snapshots (no Ray needed); ``test_ray_cluster.py`` checks that a
real worker's snapshot carries the node it runs on.
"""

from __future__ import annotations

import pytest

from syft_widgets.diagram import to_dot
from syft_widgets.snapshot import ObjectView, WorkerView, WorldSnapshot

TENSOR = ObjectView(2, "tensor", "[1]", (1,), "int64")


def snapshot(*workers: WorkerView) -> WorldSnapshot:
    return WorldSnapshot((WorkerView("me", "local", True, ()), *workers))


@pytest.mark.parametrize(
    ("lang", "badge"), [("en", "Ray · node 1546e8cb"), ("bn", "Ray · নোড 1546e8cb")], ids=["en", "bn"]
)
def test_a_ray_worker_box_names_its_node_under_the_worker_id(lang: str, badge: str) -> None:
    dot = to_dot(
        snapshot(WorkerView("bob", "ray", True, (TENSOR,), placement="1546e8cb")), lang=lang, legend=False
    )
    assert f'label="bob\\n{badge}"' in dot


def test_an_offline_ray_worker_keeps_its_badge_so_the_dead_node_is_visible() -> None:
    dot = to_dot(
        snapshot(WorkerView("alice", "ray", False, (), placement="20f3c472")), lang="en", legend=False
    )
    assert 'label="alice (offline)\\nRay · node 20f3c472"' in dot


def test_workers_without_a_placement_have_no_badge() -> None:
    dot = to_dot(snapshot(WorkerView("bob", "virtual", True, (TENSOR,))), lang="en", legend=False)
    assert "Ray ·" not in dot and "label=bob" in dot


def test_the_badge_text_is_escaped_like_every_user_string() -> None:
    dot = to_dot(
        snapshot(WorkerView("bob", "ray", True, (), placement='x"];evil[label="')), lang="en", legend=False
    )
    assert 'x"];evil' not in dot and "x&quot;];evil[label=&quot;" in dot
