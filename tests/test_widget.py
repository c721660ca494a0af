"""The live view without a browser: traits, throttling, following steps, filtering, errors, closing."""

from __future__ import annotations

import itertools
import re
import threading
import time
from typing import Any

import comm
import pytest
import torch
import traitlets

import syft_widgets as sy
from syft_widgets.diagram import narrate
from syft_widgets.diagram.words import translator
from syft_widgets.events import EventBus, MessageSent, ObjectStored, Step
from syft_widgets.snapshot import ObjectView, WorkerView, WorldSnapshot
from syft_widgets.widgets import LiveView, StepHistory, UnsupportedLanguageError, _hub, live, show
from syft_widgets.widgets._drawing import filter_step, pointer_names
from syft_widgets.widgets._throttle import Throttle, TrailingCall
from tests.dot_reader import parse_dot
from tests.helpers import RecordingComm


@pytest.fixture(autouse=True)
def recording_comm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(comm, "create_comm", RecordingComm)


def state_updates(view: LiveView) -> list[dict[str, Any]]:
    return [m for m in view.comm.messages if m and m.get("method") == "update"]


class FakeWorld:
    """A world made by hand: an event bus and a snapshot the test sets."""

    def __init__(self) -> None:
        self.bus = EventBus()
        self.now = WorldSnapshot(workers=(_worker("me", "local"),))

    def snapshot(self) -> WorldSnapshot:
        return self.now

    def flush_steps(self) -> None:
        """Nothing is ever grouped here: steps are emitted by hand."""


def _worker(wid: str, kind: Any = "virtual", objects: tuple[ObjectView, ...] = ()) -> WorkerView:
    return WorkerView(id=wid, kind=kind, online=True, objects=objects)


def _tensor(obj_id: int) -> ObjectView:
    return ObjectView(id=obj_id, kind="tensor", preview="[1, 2, 3]", shape=(3,), dtype="int64")


_counter = itertools.count()


def send_step(index: int, to: str = "bob") -> Step:
    """x.send(to): a tensor stored on ``to``, as the core would report it."""
    t = _tensor(1000 + index)
    others = [w for w in ("bob", "alice") if w != to]
    workers = (_worker("me", "local"), _worker(to, objects=(t,)), *(_worker(w) for w in others))
    events = (
        MessageSent("me", to, "send object", "send", (t.id,), "tensor", 24),
        ObjectStored(to, t),
    )
    return Step(index=index, op="send", detail={}, events=events, snapshot=WorldSnapshot(workers))


@pytest.fixture
def world() -> FakeWorld:
    return FakeWorld()


@pytest.fixture
def view(world: FakeWorld):
    v = LiveView(world=world, lang="en")
    yield v
    v.close()


def test_lang_rejects_an_unsupported_language_and_names_the_allowed_ones(view: LiveView) -> None:
    with pytest.raises(UnsupportedLanguageError, match=r"unsupported language 'fr'.*'en', 'bn'"):
        view.lang = "fr"
    assert view.lang == "en"
    assert isinstance(UnsupportedLanguageError("x"), ValueError)
    assert isinstance(UnsupportedLanguageError("x"), traitlets.TraitError)


def test_show_rejects_an_unsupported_language(world: FakeWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "default_world", lambda: world)
    with pytest.raises(ValueError, match="choose one of"):
        show(lang="de")
    assert not world.bus.wants_steps


@pytest.mark.parametrize("lang", ["en", "bn"])
def test_labels_come_from_the_catalog_in_the_views_language(world: FakeWorld, lang: str) -> None:
    v = LiveView(world=world, lang=lang)
    _ = translator(lang)
    assert v.labels["play"] == _("Play")
    assert v.labels["step_of"] == _("Step {index} of {count}")
    assert v.language_names == {"en": "English", "bn": "বাংলা"}
    if lang == "bn":
        assert v.labels["play"] != "Play"
    v.close()


def test_switching_language_retranslates_labels_narration_and_drawing(
    world: FakeWorld, view: LiveView
) -> None:
    world.bus.emit_step(send_step(0))
    english = (view.labels["next"], view.steps_meta[0]["narration"], view.dot)
    view.lang = "bn"
    bengali = (view.labels["next"], view.steps_meta[0]["narration"], view.dot)
    assert all(e != b for e, b in zip(english, bengali, strict=True))
    step_of = view.labels["step_of"]
    assert step_of == translator("bn")("Step {index} of {count}") != "Step {index} of {count}"
    assert BENGALI_TEXT.search(step_of) and "{index}" in step_of and "{count}" in step_of
    assert bengali[1] == narrate(view.steps[0], "bn")


def test_a_new_view_draws_the_world_now_and_says_there_are_no_steps(view: LiveView) -> None:
    assert view.step == -1
    assert view.steps == ()
    assert view.steps_meta == []
    assert "cluster_me" in view.dot
    assert view.error == ""


def test_the_view_follows_each_step_with_its_metadata(world: FakeWorld, view: LiveView) -> None:
    step = send_step(0)
    world.bus.emit_step(step)
    assert view.step == 0
    assert view.steps_meta == [{"index": 0, "op": "send", "narration": narrate(step, "en")}]
    assert "tensor #1000" in view.steps_meta[0]["narration"]
    assert "obj_1000" in view.dot
    assert [s.index for s in view.steps] == [0]


def test_one_push_is_one_batched_message(world: FakeWorld, view: LiveView) -> None:
    before = len(state_updates(view))
    world.bus.emit_step(send_step(0))
    updates = state_updates(view)[before:]
    assert len(updates) == 1
    assert {"dot", "step", "steps_meta"} <= set(updates[0]["state"])


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_a_loop_of_1000_steps_pushes_about_ten_times_a_second(world: FakeWorld, view: LiveView) -> None:
    clock = FakeClock()
    view._hub.throttle = Throttle(0.1, clock)
    before = len(state_updates(view))
    for i in range(1000):
        world.bus.emit_step(send_step(i))
        clock.t += 0.001  # one simulated second for the whole loop
    _hub.on_cell_end()
    pushes = len(state_updates(view)) - before
    assert 10 <= pushes <= 12
    assert view.step == 999  # the cell's end always shows its last step


def test_a_burst_is_drawn_shortly_after_it_ends_even_while_the_cell_runs(
    world: FakeWorld, view: LiveView
) -> None:
    world.bus.emit_step(send_step(0))
    world.bus.emit_step(send_step(1))  # within the interval: held back
    assert view.step == 0
    deadline = time.monotonic() + 2
    while view.step != 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert view.step == 1


def test_the_cell_end_pushes_again_when_only_variable_names_changed(
    world: FakeWorld, view: LiveView, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.bus.emit_step(send_step(0))
    pushes = view._hub.pushes
    _hub.on_cell_end()
    assert view._hub.pushes == pushes  # nothing new: no message
    monkeypatch.setattr(_hub.LiveHub, "_names", staticmethod(lambda: {7: "x_ptr"}))
    _hub.on_cell_end()
    assert view._hub.pushes == pushes + 1
    assert view._hub.names == {7: "x_ptr"}


def test_several_views_of_one_world_show_the_same_step(world: FakeWorld) -> None:
    views = [LiveView(world=world, lang=lang) for lang in ("en", "bn", "en")]
    for i in range(5):
        world.bus.emit_step(send_step(i))
    _hub.on_cell_end()
    assert {v.step for v in views} == {4}
    assert views[0].dot == views[2].dot
    assert len(world.bus._step_listeners) == 1  # one subscription for all of them
    for v in views:
        v.close()
    assert not world.bus.wants_steps


def test_close_unsubscribes_and_the_view_stops_changing(world: FakeWorld) -> None:
    v = LiveView(world=world)
    world.bus.emit_step(send_step(0))
    v.close()
    assert not world.bus.wants_steps
    world.bus.emit_step(send_step(1))
    _hub.on_cell_end()
    assert v.step == 0
    assert [s.index for s in v.steps] == [0]


def test_show_with_workers_draws_only_those_workers(
    world: FakeWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "default_world", lambda: world)
    v = show("bob")
    world.bus.emit_step(send_step(0, to="bob"))
    assert "cluster_bob" in v.dot
    assert "cluster_alice" not in v.dot and "cluster_me" not in v.dot
    assert v.workers == ("bob",)
    v.close()


def test_filtering_a_step_keeps_only_messages_between_shown_workers() -> None:
    step = send_step(0, to="bob")
    assert filter_step(step, ("bob",)).events == (step.events[1],)
    assert filter_step(step, ("me", "bob")).events == step.events
    assert filter_step(step, None) is step


def test_show_rejects_something_that_is_not_a_worker(
    world: FakeWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "default_world", lambda: world)
    with pytest.raises(TypeError, match=r"sy.show\(bob, alice\)"):
        show(42)


def test_scrubbing_back_stops_following_until_live_is_set_again(world: FakeWorld, view: LiveView) -> None:
    for i in range(3):
        world.bus.emit_step(send_step(i))
    _hub.on_cell_end()
    view.step = 0
    assert view.live is False
    first_dot = view.dot
    assert "obj_1000" in first_dot and "obj_1002" not in first_dot
    world.bus.emit_step(send_step(3))
    _hub.on_cell_end()
    assert view.step == 0 and view.dot == first_dot
    assert len(view.steps_meta) == 4  # the timeline still grows
    view.live = True
    assert view.step == 3


def test_a_drawing_error_shows_in_the_view_and_never_reaches_the_cell(
    world: FakeWorld, view: LiveView, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("layout exploded")

    monkeypatch.setattr(live, "to_dot", broken)
    with warnings_as_errors():
        world.bus.emit_step(send_step(0))  # the bus would warn if the listener raised
    expected = translator("en")("Drawing failed: {error}").format(error="RuntimeError: layout exploded")
    assert view.error == expected
    monkeypatch.undo()
    world.bus.emit_step(send_step(1))
    _hub.on_cell_end()
    assert view.error == ""


def warnings_as_errors() -> Any:
    import warnings

    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("error")

    class _Exit:
        def __enter__(self) -> None:
            return None

        def __exit__(self, *exc: object) -> None:
            ctx.__exit__(*exc)

    return _Exit()


def test_pointer_names_come_from_the_learners_namespace() -> None:
    class Ptr:
        def __init__(self, pid: int) -> None:
            self.id = pid

    a, b = Ptr(1), Ptr(2)
    ns = {"x_ptr": a, "pointer_to_x_ptr": b, "_hidden": Ptr(3), "also_x": a, "n": 5}
    assert pointer_names(ns, pointer_type=Ptr) == {1: "x_ptr", 2: "pointer_to_x_ptr"}
    assert pointer_names(None) == {}


def test_me_s_pointers_to_a_shared_values_shares_carry_its_name(env: Any) -> None:
    crypto_provider = sy.VirtualWorker(env.hook, id="crypto_provider")
    x = torch.tensor([25]).share(env.bob, env.alice, crypto_provider=crypto_provider)
    y_ptr = torch.tensor([1]).send(env.bob)
    names = pointer_names({"x": x, "y_ptr": y_ptr})
    assert {names[p.id] for p in x.shares.values()} == {"x"} and len(x.shares) == 2
    assert names[y_ptr.id] == "y_ptr" and len(names) == 3


def test_history_keeps_only_the_newest_steps() -> None:
    h = StepHistory(capacity=3)
    for i in range(5):
        h.record(send_step(i))
    assert [s.index for s in h.steps] == [2, 3, 4]
    assert h.dropped == 2
    assert h.find(1) is None and h.find(3) is h.steps[1]
    assert h.latest is h.steps[-1]
    assert len(h) == 3
    with pytest.raises(ValueError, match="at least 1"):
        StepHistory(capacity=0)


def test_a_view_keeps_its_timeline_valid_when_old_steps_drop_out(world: FakeWorld) -> None:
    hub = _hub.hub_for(world)
    hub.capacity = 4
    v = LiveView(world=world)
    try:
        for i in range(10):
            world.bus.emit_step(send_step(i))
        _hub.on_cell_end()
        assert [m["index"] for m in v.steps_meta] == [6, 7, 8, 9]
        v.step = 7
        hub.capacity = 500
        for i in range(10, 14):
            world.bus.emit_step(send_step(i))
        _hub.on_cell_end()
        assert v.step == 10  # step 7 dropped out: the oldest kept step is shown
    finally:
        v.close()


def test_throttle_waits_for_the_rest_of_the_interval() -> None:
    clock = FakeClock()
    t = Throttle(0.25, clock)  # binary fractions: exact sums
    assert t.wait_time() == 0.0
    t.mark()
    clock.t += 0.125
    assert t.wait_time() == 0.125
    clock.t += 0.125
    assert t.wait_time() == 0.0


def test_a_trailing_call_runs_once_per_schedule_on_one_thread_for_every_burst(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(TrailingCall, "IDLE_AFTER", 0.2)
    ran: list[str] = []
    done = threading.Event()

    def action() -> None:
        ran.append(threading.current_thread().name)
        done.set()

    call = TrailingCall(action, name="trailing-test")
    for _burst in range(2):
        done.clear()
        call.schedule(0.02)
        call.schedule(0.0)  # already pending: the first deadline holds, and it runs once
        assert call.pending
        assert done.wait(5)
        assert not call.pending
    time.sleep(0.05)
    assert ran == ["trailing-test", "trailing-test"]
    threads = [t for t in threading.enumerate() if t.name == "trailing-test"]
    assert len(threads) == 1  # the second burst found the same thread: no thread per burst
    call.schedule(0.05)
    call.cancel()  # a push that drew everything first makes the trailing one unneeded
    time.sleep(0.15)
    assert len(ran) == 2
    deadline = time.monotonic() + 5
    while not call.asleep and time.monotonic() < deadline:  # no calls for IDLE_AFTER: it sleeps
        time.sleep(0.02)
    assert call.asleep
    done.clear()
    call.schedule(0.0)  # and the next call wakes it
    assert done.wait(5) and ran == ["trailing-test"] * 3
    assert [t for t in threading.enumerate() if t.name == "trailing-test"] == threads


def test_steps_from_another_thread_do_not_break_the_view(world: FakeWorld, view: LiveView) -> None:
    def emit() -> None:
        for i in range(200):
            world.bus.emit_step(send_step(i))

    threads = [threading.Thread(target=emit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _hub.on_cell_end()
    assert len(view.steps) == 400 and view.error == ""


def test_repr_is_short_and_says_what_is_shown(world: FakeWorld, view: LiveView) -> None:
    world.bus.emit_step(send_step(0))
    assert repr(view) == "<LiveView lang='en' step=0 steps=1 workers=all>"


def test_real_operations_are_recorded_and_drawn_in_the_right_worker() -> None:
    import torch

    import syft_widgets as sy

    hook = sy.TorchHook(torch)
    carol = sy.VirtualWorker(hook, id="carol_widget_test")
    dave = sy.VirtualWorker(hook, id="dave_widget_test")
    view = show(carol, dave, lang="bn")
    try:
        x_ptr = torch.tensor([1, 2, 3]).send(carol)
        moved = x_ptr.move(dave)
        _hub.on_cell_end()
        ops = [s.op for s in view.steps]
        assert ops[:2] == ["send", "move"], ops
        dot = parse_dot(view.dot)
        assert "cluster_dave_widget_test" in dot.clusters and "cluster_me" not in dot.clusters
        assert dot.cluster_of[f"obj_{moved.id_at_location}"] == "cluster_dave_widget_test"
        assert "moved" in dot.classes(f"obj_{moved.id_at_location}")
        assert not dot.in_cluster("cluster_carol_widget_test") - {"anchor_carol_widget_test"}, (
            "carol is empty"
        )
        assert BENGALI_TEXT.search(view.steps_meta[-1]["narration"])
        assert view.error == ""
    finally:
        view.close()
    assert not sy.WORLD.bus.wants_steps


BENGALI_TEXT = re.compile(r"[\u0980-\u09FF]")


def big_store_step(index: int, objects: int = 20) -> Step:
    """``objects`` tensors on bob, more than a store shows before it is summarised."""
    tensors = tuple(_tensor(2000 + i) for i in range(objects))
    workers = (_worker("me", "local"), _worker("bob", objects=tensors))
    events = (ObjectStored("bob", tensors[-1]),)
    return Step(index=index, op="send", detail={}, events=events, snapshot=WorldSnapshot(workers))


def drawn_tensors(dot: str, worker: str = "bob") -> set[str]:
    parsed = parse_dot(dot)
    return {n for n in parsed.in_cluster(f"cluster_{worker}") if "tensor" in parsed.classes(n)}


def test_expanded_unfolds_a_store_and_a_second_toggle_folds_it(world: FakeWorld, view: LiveView) -> None:
    world.bus.emit_step(big_store_step(0))
    folded = drawn_tensors(view.dot)
    assert 0 < len(folded) < 20 and 'id="expand:store:bob"' in view.dot
    view.expanded = ["store:bob"]  # what a click in the browser sends
    assert len(drawn_tensors(view.dot)) == 20
    view.expanded = ["store:bob", "collection:gone"]  # a key for nothing: ignored, no error
    assert len(drawn_tensors(view.dot)) == 20 and view.error == ""
    view.expanded = []
    assert drawn_tensors(view.dot) == folded


def test_a_saved_page_carries_each_steps_stores_unfolded_one_at_a_time(
    world: FakeWorld, view: LiveView, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.bus.emit_step(send_step(0))
    world.bus.emit_step(big_store_step(1))
    table = view.replay_data()["languages"]["bn"]
    small, big = table["expansions"]
    assert small == {}, "a step with nothing folded has nothing to unfold"
    assert set(big) == {"store:bob"} and len(drawn_tensors(big["store:bob"])) == 20
    assert 0 < len(drawn_tensors(table["dots"][1])) < 20
    # Over the size budget, older steps carry no unfolded pictures; the newest still does.
    world.bus.emit_step(big_store_step(2))
    monkeypatch.setattr(live, "REPLAY_EXPANSION_CHARS", 1)
    older, newest = view.replay_data()["languages"]["en"]["expansions"][1:]
    assert older == {} and set(newest) == {"store:bob"}


def test_the_timeline_forgets_the_narrations_of_dropped_steps_soon(world: FakeWorld) -> None:
    # A long session's memory stays level: what the timeline cached for steps the history dropped
    # is forgotten once FORGET_DROPPED_STEPS_EVERY steps have dropped out, in every language used.
    hub = _hub.hub_for(world)
    every = live.FORGET_DROPPED_STEPS_EVERY
    hub.capacity = kept = 4 * every
    v = LiveView(world=world)
    try:
        most = 0
        for i in range(kept + 5 * every):
            world.bus.emit_step(send_step(i))
            for lang in ("en", "bn"):
                metas = v.steps_meta_for(lang)
            most = max(most, len(v._narrations), len(v._metas))
            # The newest steps are kept whatever was forgotten.
            assert [m["index"] for m in metas] == [s.index for s in v.steps]
        assert most <= 2 * (kept + every), "at most the history and one round of dropped steps per language"
        assert {k[1] for k in v._narrations} >= {s.index for s in v.steps}
    finally:
        v.close()
        hub.capacity = _hub.DEFAULT_CAPACITY


def test_the_timeline_entries_are_made_once_per_step_and_language(world: FakeWorld, view: LiveView) -> None:
    world.bus.emit_step(send_step(0))
    first = view.steps_meta_for("en")[0]
    world.bus.emit_step(send_step(1))
    again = view.steps_meta_for("en")
    assert again[0] is first and len(again) == 2
    assert view.steps_meta_for("bn")[0]["narration"] == narrate(view.steps[0], "bn")
