"""Encrypted programs (issue 13): the classic Part 9 cell by cell, Part 10's secure averaging, and the
results PySyft 0.2.9 got wrong (spec ``pysyft-0.2-encrypted.md``, sections 2, 3 and 7)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import torch
from torch import nn

import syft_widgets as sy
from syft_widgets.encrypted.fixed_precision import FixedPrecisionTensor
from syft_widgets.encrypted.party import crypto_store
from syft_widgets.encrypted.shared_tensor import MaxResult, SharedTensor
from tests.conftest import Env


@dataclass
class Part9:
    me: Any
    bob: Any
    alice: Any
    bill: Any
    crypto_provider: Any

    @property
    def workers(self) -> tuple[Any, ...]:
        return (self.bob, self.alice, self.bill, self.crypto_provider)

    def counts(self) -> tuple[int, ...]:
        return tuple(len(w._objects) for w in self.workers)


@pytest.fixture
def part9(env: Env) -> Iterator[Part9]:
    bill = sy.VirtualWorker(env.hook, id="bill")
    crypto_provider = sy.VirtualWorker(env.hook, id="crypto_provider")
    yield Part9(env.me, env.bob, env.alice, bill, crypto_provider)


def no_protocol_state(*workers: Any) -> bool:
    """Nothing left of any protocol run: no material, no openings (spec 7, P6)."""
    return all(not crypto_store(w) for w in workers)


# --- Part 9, cell by cell (spec 3.1) -----------------------------------------------------------------
def test_part9_cells_15_to_22_three_shares_that_add_up(part9: Part9) -> None:
    bob, alice, bill = part9.bob, part9.alice, part9.bill
    x = torch.tensor([25])
    encrypted_x = x.share(bob, alice, bill)
    assert part9.counts() == (1, 1, 1, 0)
    assert torch.equal(x, torch.tensor([25]))  # sharing works on a copy
    assert type(encrypted_x) is SharedTensor and isinstance(encrypted_x, torch.Tensor)
    assert encrypted_x.shape == torch.Size([1]) and encrypted_x.dtype == torch.int64
    result = encrypted_x.get()
    assert type(result) is torch.Tensor and torch.equal(result, torch.tensor([25]))
    assert part9.counts() == (0, 0, 0, 0)
    assert list(bob._tensors.values()) == []  # cell 17

    x = torch.tensor([25]).share(bob, alice, bill)  # cell 18
    shares = [list(w._tensors.values())[0] for w in (bob, alice, bill)]  # noqa: RUF015 (cells 19 to 21)
    assert all(type(s) is torch.Tensor and s.dtype == torch.int64 and s.shape == (1,) for s in shares)
    assert torch.equal(shares[0] + shares[1] + shares[2], torch.tensor([25]))  # cell 22: int64 wraps
    assert all(s.item() != 25 for s in shares)
    assert part9.me._objects == {}
    del x


def test_part9_cell_23_rebinding_a_shared_value_deletes_its_shares(part9: Part9) -> None:
    bob, alice, bill = part9.bob, part9.alice, part9.bill
    x = torch.tensor([25]).share(bob, alice, bill)
    assert part9.counts() == (1, 1, 1, 0)
    x = torch.tensor([25]).share(bob, alice)
    y = torch.tensor([5]).share(bob, alice)
    assert part9.counts() == (2, 2, 0, 0)
    assert x != None and y is not None  # noqa: E711  (== with None is no comparison protocol)


def test_part9_cells_24_and_25_add_and_subtract_without_a_crypto_provider(part9: Part9) -> None:
    x = torch.tensor([25]).share(part9.bob, part9.alice)
    y = torch.tensor([5]).share(part9.bob, part9.alice)
    z = x + y
    assert torch.equal(z.get(), torch.tensor([30]))
    z = x - y
    assert torch.equal(z.get(), torch.tensor([20]))
    assert part9.counts() == (2, 2, 0, 0)
    assert no_protocol_state(*part9.workers)


def test_part9_cells_26_to_30_multiply_and_matmul_with_a_crypto_provider(part9: Part9) -> None:
    bob, alice, cp = part9.bob, part9.alice, part9.crypto_provider
    x = torch.tensor([25]).share(bob, alice, crypto_provider=cp)
    y = torch.tensor([5]).share(bob, alice, crypto_provider=cp)
    z = x * y
    assert torch.equal(z.get(), torch.tensor([125]))
    assert part9.counts() == (2, 2, 0, 0)
    x = torch.tensor([[1, 2], [3, 4]]).share(bob, alice, crypto_provider=cp)
    y = torch.tensor([[2, 0], [0, 2]]).share(bob, alice, crypto_provider=cp)
    z = x.mm(y)
    assert torch.equal(z.get(), torch.tensor([[2, 4], [6, 8]]))
    assert part9.counts() == (2, 2, 0, 0)
    assert no_protocol_state(*part9.workers)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("x > y", [1]), ("x <= y", [0]), ("x == y", [0]), ("x == y + 20", [1])],
    ids=["32-gt", "33-le", "34-eq", "35-eq-after-public-add"],
)
def test_part9_cells_32_to_35_comparisons(part9: Part9, cell: str, expected: list[int]) -> None:
    bob, alice, cp = part9.bob, part9.alice, part9.crypto_provider
    namespace = {
        "x": torch.tensor([25]).share(bob, alice, crypto_provider=cp),
        "y": torch.tensor([5]).share(bob, alice, crypto_provider=cp),
    }
    z = eval(cell, namespace)
    assert type(z) is SharedTensor
    assert torch.equal(z.get(), torch.tensor(expected))
    assert part9.counts() == (2, 2, 0, 0)
    assert no_protocol_state(*part9.workers)


def test_part9_cell_36_max_is_a_zero_dim_tensor(part9: Part9) -> None:
    x = torch.tensor([2, 3, 4, 1]).share(part9.bob, part9.alice, crypto_provider=part9.crypto_provider)
    result = x.max().get()
    assert torch.equal(result, torch.tensor(4)) and result.dim() == 0
    assert part9.counts() == (1, 1, 0, 0)


def test_part9_cell_37_english_max_dim_has_get(part9: Part9) -> None:
    x = torch.tensor([[2, 3], [4, 1]]).share(part9.bob, part9.alice, crypto_provider=part9.crypto_provider)
    max_values = x.max(dim=0)
    assert isinstance(max_values, MaxResult) and isinstance(max_values, tuple)
    assert torch.equal(max_values.get(), torch.tensor([4, 3]))
    assert part9.counts() == (1, 1, 0, 0)  # x only: the indices' shares went with .get()


def test_part9_cell_37_bengali_max_dim_unpacks_into_values_and_indices(part9: Part9) -> None:
    x = torch.tensor([[2, 3], [4, 1]]).share(part9.bob, part9.alice, crypto_provider=part9.crypto_provider)
    max_values, max_ids = x.max(dim=0)  # PySyft 0.2.9 failed here (spec 5.1)
    assert torch.equal(max_values.get(), torch.tensor([4, 3]))
    assert torch.equal(max_ids.get(), torch.tensor([1, 0]))
    assert part9.counts() == (1, 1, 0, 0)


def test_the_shared_value_prints_as_pysyft_printed_its_wrapper(part9: Part9) -> None:
    bob, alice, cp = part9.bob, part9.alice, part9.crypto_provider
    x = torch.tensor([25]).share(bob, alice, crypto_provider=cp)
    lines = repr(x).split("\n")
    assert lines[0] == "(Wrapper)>[AdditiveSharingTensor]"
    assert lines[1].startswith("\t-> [PointerTensor | me:") and f"-> bob:{x.share_ids[0]}]" in lines[1]
    assert lines[2].startswith("\t-> [PointerTensor | me:") and f"-> alice:{x.share_ids[1]}]" in lines[2]
    assert lines[3] == "\t*crypto provider: crypto_provider*"
    fixed = torch.tensor([0.5]).fix_precision().share(bob, alice, crypto_provider=cp)
    assert repr(fixed).startswith("(Wrapper)>FixedPrecisionTensor>[AdditiveSharingTensor]\n")
    assert x.child.field == 2**64 and [w.id for w in x.child.locations] == ["bob", "alice"]
    assert set(x.child.child) == {"bob", "alice"}
    with pytest.raises(AttributeError):
        _ = x.location


# --- shares -----------------------------------------------------------------------------------------
def test_shares_are_uniform_over_the_whole_int64_range(part9: Part9) -> None:
    values = []
    for _ in range(2000):
        x = torch.tensor([25]).share(part9.bob, part9.alice)
        values.append(next(iter(part9.bob._tensors.values())).item())
        del x
    t = torch.tensor(values, dtype=torch.float64)
    assert 0.45 < float((t < 0).double().mean()) < 0.55
    assert 0.55 < float(t.std() / 2**63) < 0.60  # uniform: 1/sqrt(3) = 0.577
    assert len(set(values)) == len(values)


def test_shares_do_not_come_from_torchs_random_generator(part9: Part9) -> None:
    torch.manual_seed(1)
    first = torch.tensor([25]).share(part9.bob, part9.alice)
    after_sharing = torch.rand(3)
    torch.manual_seed(1)
    second = torch.tensor([25]).share(part9.bob, part9.alice)
    assert first.share_ids != second.share_ids
    values = [list(part9.bob._tensors.values())[i].item() for i in range(2)]
    assert values[0] != values[1]  # the seed does not repeat the shares
    torch.manual_seed(1)
    assert torch.equal(torch.rand(3), after_sharing)  # and sharing draws nothing from torch's stream


@pytest.mark.parametrize(("holders", "drawn"), [(2, 1), (3, 2)], ids=["bob and alice", "three holders"])
def test_sharing_draws_one_random_share_fewer_than_there_are_holders(
    part9: Part9, monkeypatch: pytest.MonkeyPatch, holders: int, drawn: int
) -> None:
    from syft_widgets.encrypted import ring

    calls: list[tuple[int, ...]] = []
    random_ring = ring.random_ring

    def counted(shape: Any) -> torch.Tensor:
        calls.append(tuple(shape))
        return random_ring(shape)

    monkeypatch.setattr(ring, "random_ring", counted)
    workers = (part9.bob, part9.alice, part9.bill)[:holders]
    x = torch.tensor([0.5, -1.25, 3.0]).fix_precision().share(*workers)
    assert calls == [(3,)] * drawn  # the last share is the secret minus the others: no randomness needed
    assert x.get().float_precision().tolist() == [0.5, -1.25, 3.0]


def test_the_key_stream_never_repeats_after_a_fork_or_a_new_key(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from syft_widgets.encrypted import ring

    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child draws right after the fork, as the parent does below
        os.write(write, bytes(ring._STREAM.read(64)))
        os._exit(0)
    os.waitpid(child, 0)
    in_child = os.read(read, 64)
    os.close(read)
    os.close(write)
    assert len(in_child) == 64 and in_child != bytes(ring._STREAM.read(64))
    # After _REKEY_BYTES bytes of one key the stream starts again under a fresh key from the OS.
    monkeypatch.setattr(ring, "_REKEY_BYTES", 96)
    ring._STREAM.rekey()
    keys = []
    urandom = os.urandom
    monkeypatch.setattr(os, "urandom", lambda n: keys.append(n) or urandom(n))
    blocks = [bytes(ring._STREAM.read(64)) for _ in range(3)]
    assert keys == [32, 16, 32, 16]  # rekeyed before the 2nd and 3rd read (each would pass 96 bytes)
    assert len(set(blocks)) == 3
    ring._STREAM.rekey()  # a fresh key for the tests after this one (_REKEY_BYTES goes back with monkeypatch)


def test_booleans_are_shared_as_int64(part9: Part9) -> None:
    x = torch.tensor([True, False]).share(part9.bob, part9.alice)
    assert torch.equal(x.get(), torch.tensor([1, 0]))


def test_dropping_the_last_reference_deletes_every_share(part9: Part9) -> None:
    x = torch.tensor([1, 2]).share(part9.bob, part9.alice, part9.bill)
    assert part9.counts() == (1, 1, 1, 0)
    _ = x.shares  # pointers made: they now carry the duty to delete
    del x
    assert part9.counts() == (0, 0, 0, 0)


# --- arithmetic -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("x + 3", [28]), ("3 + x", [28]), ("x - 1", [24]), ("1 - x", [-24]), ("-x", [-25]),
        ("x * 3", [75]), ("3 * x", [75]), ("x * torch.tensor([3])", [75]), ("x / 5", [5]), ("x // 5", [5]),
        ("x * y", [125]), ("x @ y.view(1, 1)", [125]), ("torch.matmul(x.view(1, 1), y.view(1, 1)).view(-1)", [125]),
        ("torch.mm(x.view(1, 1), y.view(1, 1)).view(-1)", [125]), ("torch.add(x, y)", [30]),
        ("(x + y).sum()", 30), ("x.reshape(1, 1).t().flatten()", [25]),
    ],
)  # fmt: skip
def test_arithmetic_gives_pysyfts_results(part9: Part9, expression: str, expected: Any) -> None:
    cp = part9.crypto_provider
    x = torch.tensor([25]).share(part9.bob, part9.alice, crypto_provider=cp)
    y = torch.tensor([5]).share(part9.alice, part9.bob, crypto_provider=cp)  # the order of holders is free
    result = eval(expression, {"x": x, "y": y, "torch": torch})
    assert torch.equal(result.get(), torch.tensor(expected))
    assert no_protocol_state(*part9.workers)


@pytest.mark.parametrize(
    ("a_shape", "b_shape"), [((2, 3), (3, 4)), ((3,), (3, 2)), ((2, 2, 3), (3, 1)), ((4,), (4,))]
)
def test_matmul_of_shared_values_matches_torch_for_every_shape(
    part9: Part9, a_shape: tuple, b_shape: tuple
) -> None:
    a = torch.randint(-1000, 1000, a_shape)
    b = torch.randint(-1000, 1000, b_shape)
    cp = part9.crypto_provider
    shared = a.share(part9.bob, part9.alice, crypto_provider=cp).matmul(
        b.share(part9.bob, part9.alice, crypto_provider=cp)
    )
    assert torch.equal(shared.get(), torch.matmul(a, b))


def test_three_holders_multiply_and_compare_integers(part9: Part9) -> None:
    holders = (part9.bob, part9.alice, part9.bill)
    x = torch.tensor([25, -3]).share(*holders, crypto_provider=part9.crypto_provider)
    y = torch.tensor([5, 7]).share(*holders, crypto_provider=part9.crypto_provider)
    assert torch.equal((x * y).get(), torch.tensor([125, -21]))
    assert torch.equal((x > y).get(), torch.tensor([1, 0]))
    assert torch.equal(x.max().get(), torch.tensor(25))
    assert no_protocol_state(*part9.workers)


# --- comparisons and max: right where PySyft 0.2.9 was wrong ------------------------------------------
def test_max_and_argmax_with_ties_are_right(part9: Part9) -> None:
    cp = part9.crypto_provider
    t = torch.tensor([4, 4, 1]).share(part9.bob, part9.alice, crypto_provider=cp)
    assert torch.equal(t.max().get(), torch.tensor(4))  # PySyft 0.2.9: tensor(8)
    assert torch.equal(t.argmax().get(), torch.tensor(0))  # PySyft 0.2.9: tensor(1); torch: the first
    m = torch.tensor([[2, 3], [2, 1]]).share(part9.bob, part9.alice, crypto_provider=cp)
    values, indices = m.max(dim=0)
    assert torch.equal(values.get(), torch.tensor([2, 3]))  # PySyft 0.2.9: [4, 3]
    assert torch.equal(indices.get(), torch.tensor([0, 0]))


@pytest.mark.parametrize("seed", range(6))
def test_comparisons_and_reductions_match_torch_on_random_data(part9: Part9, seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    shape = [(7,), (3, 5), (2, 3, 4)][seed % 3]
    a = torch.randint(-(2**40), 2**40, shape, generator=generator)
    b = torch.randint(-5, 5, shape, generator=generator) + a * (seed % 2)  # many ties when seed is odd
    a[..., 0] = b[..., 0]  # always at least one equal pair
    cp = part9.crypto_provider
    x = a.share(part9.bob, part9.alice, crypto_provider=cp)
    y = b.share(part9.bob, part9.alice, crypto_provider=cp)
    for op in ("gt", "ge", "lt", "le", "eq", "ne"):
        assert torch.equal(getattr(x, op)(y).get(), getattr(a, op)(b).long()), op
    assert torch.equal((x > 0).get(), (a > 0).long())
    assert torch.equal(x.max().get(), a.max())
    assert torch.equal(x.argmax().get(), a.argmax())
    assert torch.equal(x.min().get(), a.min())
    for dim in range(-1, len(shape)):
        values, indices = x.max(dim=dim, keepdim=dim == 0)
        expected = a.max(dim=dim, keepdim=dim == 0)
        assert torch.equal(values.get(), expected.values), dim
        assert torch.equal(indices.get(), expected.indices), dim
        assert torch.equal(x.argmax(dim=dim).get(), a.argmax(dim=dim))
    assert no_protocol_state(*part9.workers)


def test_comparisons_near_the_ends_of_the_range(part9: Part9) -> None:
    big = 2**62 - 1
    a = torch.tensor([big, -big, 0, -1, 1, big])
    b = torch.tensor([-big, big, -1, 0, 1, big - 1])
    cp = part9.crypto_provider
    x, y = (
        a.share(part9.bob, part9.alice, crypto_provider=cp),
        b.share(part9.bob, part9.alice, crypto_provider=cp),
    )
    assert torch.equal((x > y).get(), (a > b).long())
    assert torch.equal((x <= y).get(), (a <= b).long())


# --- fixed precision (spec 1.3) ---------------------------------------------------------------------
def test_fix_precision_encodes_as_pysyft_did() -> None:
    sy.TorchHook(torch)
    f = torch.tensor([0.5, -1.25]).fix_precision()
    assert type(f) is FixedPrecisionTensor
    assert repr(f) == "(Wrapper)>FixedPrecisionTensor>tensor([  500, -1250])"
    assert torch.equal(f.as_subclass(torch.Tensor), torch.tensor([500, -1250]))
    truncated = torch.tensor([0.0019, -0.0019, 1.9999]).fix_precision().as_subclass(torch.Tensor)
    assert truncated.tolist() == [1, -1, 1999]
    assert torch.tensor([3]).fix_precision().as_subclass(torch.Tensor).tolist() == [3000]
    decoded = f.float_precision()
    assert decoded.dtype == torch.float32 and torch.equal(decoded, torch.tensor([0.5, -1.25]))
    assert torch.tensor([1.5]).fix_precision(precision_fractional=2).as_subclass(torch.Tensor).tolist() == [
        150
    ]


def test_shared_fixed_point_arithmetic(part9: Part9) -> None:
    cp = part9.crypto_provider
    f = torch.tensor([0.5, -1.25]).fix_precision().share(part9.bob, part9.alice, crypto_provider=cp)

    def decoded(shared: Any) -> list[float]:
        result = shared.get()
        assert type(result) is FixedPrecisionTensor  # .get() returns the encoding, as PySyft's did
        return [round(v, 4) for v in result.float_precision().tolist()]

    assert decoded(f + f) == [1.0, -2.5]
    assert decoded(f + 0.5) == [1.0, -0.75]
    assert decoded(f * 2) == [1.0, -2.5]
    assert decoded(f / 2) == [0.25, -0.625]
    square = decoded(f * f)
    assert square[0] in (0.249, 0.25, 0.251) and square[1] in (1.562, 1.563)  # truncation: last digit ±1
    assert decoded(f > 0) == [1.0, 0.0]
    assert decoded(f * 0.5) == [0.25, -0.625]  # PySyft 0.2.9 raised NotImplementedError
    with pytest.raises(sy.errors.SyftWidgetsError, match=r"x\.get\(\)\.float_precision\(\)"):
        f.float_precision()


def test_fix_precision_of_a_shared_integer(part9: Part9) -> None:
    x = torch.tensor([3, -2]).share(part9.bob, part9.alice, crypto_provider=part9.crypto_provider)
    f = x.fix_precision()
    assert f.precision == 3
    assert f.get().float_precision().tolist() == [3.0, -2.0]


def test_remote_fix_precision_and_float_precision_run_where_the_data_is(part9: Part9) -> None:
    ptr = torch.tensor([0.5, -1.25]).send(part9.bob)
    fpp = ptr.fix_precision()
    assert fpp.is_pointer and fpp.location is part9.bob and fpp.dtype == torch.int64
    stored = part9.bob._objects[fpp.id_at_location]
    assert type(stored) is FixedPrecisionTensor
    back = fpp.float_precision()
    assert torch.equal(back.get(), torch.tensor([0.5, -1.25]))


# --- Part 10: secure aggregation (spec 2.4, 3.2) ------------------------------------------------------
def _models(bob: Any, alice: Any) -> tuple[list[list[Any]], list[torch.Tensor]]:
    torch.manual_seed(1)
    models = [nn.Linear(13, 4), nn.Linear(13, 4)]
    expected = []
    for p0, p1 in zip(models[0].parameters(), models[1].parameters(), strict=True):
        # Each input truncated to 3 digits, then an exact sum, decoded, halved (spec 2.4 step 4).
        summed = torch.trunc(p0.data * 1000).long() + torch.trunc(p1.data * 1000).long()
        expected.append((summed.float() / 1000) / 2)
    models[0].send(bob)
    models[1].send(alice)
    return [list(m.parameters()) for m in models], expected


@pytest.mark.parametrize("bengali", [False, True], ids=["en", "bn-copy"])
def test_part10_secure_averaging(part9: Part9, bengali: bool) -> None:
    bob, alice, james = part9.bob, part9.alice, part9.crypto_provider
    params, expected = _models(bob, alice)
    before = {w.id: len(w._objects) for w in (bob, alice)}
    for param_i in range(2):
        spdz_params = []
        for remote_index in range(2):
            param = params[remote_index][param_i]
            if bengali:  # the Bengali text takes a copy first
                spdz_params.append(
                    param.copy().fix_precision().share(bob, alice, crypto_provider=james).get()
                )
            else:
                spdz_params.append(param.fix_precision().share(bob, alice, crypto_provider=james).get())
        assert all(type(p) is SharedTensor and p.precision == 3 for p in spdz_params)
        new_param = (spdz_params[0] + spdz_params[1]).get().float_precision() / 2
        assert torch.equal(new_param, expected[param_i])
        # the two shared parameters are alive: one share each on bob and alice
        assert {w.id: len(w._objects) - before[w.id] for w in (bob, alice)} == {"bob": 2, "alice": 2}
        del spdz_params
    assert len(james._objects) == 0 and no_protocol_state(bob, alice, james)


def test_part10_the_parameters_owner_draws_the_shares_and_me_never_sees_the_value(
    part9: Part9, steps: list
) -> None:
    bob, alice, james = part9.bob, part9.alice, part9.crypto_provider
    ptr = torch.tensor([0.25]).send(bob)
    steps.clear()
    remote = ptr.fix_precision().share(bob, alice, crypto_provider=james)
    shared = remote.get()
    assert torch.equal(shared.get().float_precision(), torch.tensor([0.25]))
    share_step = next(s for s in steps if s.op == "share")
    assert share_step.detail["owner"] == "bob"
    messages = [e for s in steps for e in s.events if hasattr(e, "message")]
    assert ("bob", "alice", "send share") in {(e.sender, e.receiver, e.message) for e in messages}
    assert not any(e.receiver == "crypto_provider" for e in messages)  # james is idle in Part 10
    to_me = [e for e in messages if e.receiver == "me" and e.kind == "tensor"]
    assert len(to_me) == 2 and all(s.op == "reconstruct" for s in steps if s.events and to_me[0] in s.events)
    with pytest.raises(sy.errors.SyftWidgetsError):
        remote.get()


# --- steps a diagram draws ----------------------------------------------------------------------------
def test_steps_name_the_secret_the_holders_and_the_protocol(part9: Part9, steps: list) -> None:
    bob, alice, cp = part9.bob, part9.alice, part9.crypto_provider
    x = torch.tensor([25]).share(bob, alice, crypto_provider=cp)
    y = torch.tensor([5]).share(bob, alice, crypto_provider=cp)
    z = x * y
    assert torch.equal(z.get(), torch.tensor([125]))
    share, _, mul, reveal = steps
    assert share.op == "share" and share.detail["holders"] == ("bob", "alice")
    assert share.detail["secret"] == x.secret_id and share.detail["owner"] == "me"
    assert share.detail["crypto_provider"] == "crypto_provider" and share.detail["value"] == "[25]"
    stored = [e.obj for e in share.events if type(e).__name__ == "ObjectStored"]
    assert [v.share.secret for v in stored] == [x.secret_id] * 2 and [v.share.index for v in stored] == [0, 1]
    assert mul.op == "shared_op" and mul.detail["func"] == "mul" and mul.detail["protocol"] == "beaver"
    assert mul.detail["inputs"] == (x.secret_id, y.secret_id) and mul.detail["secret"] == z.secret_id
    arrows = [(e.sender, e.receiver, e.message, e.op) for e in mul.events if hasattr(e, "message")]
    assert ("me", "crypto_provider", "protocol", "deal") in arrows
    assert ("crypto_provider", "bob", "crypto", "triple") in arrows
    assert ("bob", "alice", "crypto", "open") in arrows and ("alice", "bob", "crypto", "open") in arrows
    assert not any(r == "me" for _, r, _, _ in arrows)  # nothing is opened to me
    assert all(s == "me" for s, r, _, _ in arrows if r == "crypto_provider")
    assert reveal.op == "reconstruct" and reveal.detail["value"] == "[125]"
    me_view = reveal.snapshot.worker("me")
    assert me_view.objects == ()


@pytest.mark.parametrize("base", [10, 2])
def test_the_share_step_says_the_owners_value_in_the_values_own_base(
    part9: Part9, steps: list, base: int
) -> None:
    # The privacy overlay shows me's own value from this detail: decoded in base 2, -1.25 is -1.25
    # (its encoding -10 read in base 10 would say -0.01).
    x = torch.tensor([0.5, -1.25]).fix_precision(base=base, precision_fractional=3)
    x.share(part9.bob, part9.alice, crypto_provider=part9.crypto_provider)
    (share,) = [step for step in steps if step.op == "share"]
    assert share.detail["value"] == "[0.5, -1.25]"


def test_a_step_that_makes_shared_values_shows_mes_pointers_to_them(part9: Part9, steps: list) -> None:
    """The picture of ``x = ....share(...)`` (and of ``x * y``) has me's pointers to the new shares."""
    bob, alice, cp = part9.bob, part9.alice, part9.crypto_provider

    def pointed_at(step: Any) -> set[tuple[str, int]]:
        return {(p.location, p.id_at_location) for p in step.snapshot.worker("me").pointers if not p.spent}

    x = torch.tensor([25]).share(bob, alice, crypto_provider=cp)
    y = torch.tensor([5]).share(bob, alice, crypto_provider=cp)
    z = x * y
    share_x, share_y, mul = steps
    for step, value in ((share_x, x), (share_y, y), (mul, z)):
        assert {
            (h, obj_id) for h, obj_id in zip(value._holder_ids, value.share_ids, strict=True)
        } <= pointed_at(step), step.op
    # Part 10: the shares a worker made of its own value reach me's pointers with the hand-over.
    remote = torch.tensor([0.5]).send(bob).fix_precision().share(bob, alice, crypto_provider=cp)
    shared = remote.get()
    share_step = next(s for s in reversed(steps) if s.op == "share")
    hand_over = steps[-1]
    mine = {(h, obj_id) for h, obj_id in zip(shared._holder_ids, shared.share_ids, strict=True)}
    assert not mine & pointed_at(share_step) and mine <= pointed_at(hand_over)


# --- errors: clear, and every store left as it was ---------------------------------------------------
def _state(part9: Part9) -> dict[str, Any]:
    from tests.helpers import store_state

    state = store_state(part9.me, *part9.workers)
    state["crypto"] = [dict(crypto_store(w)) for w in part9.workers]
    return state


@pytest.mark.parametrize(
    ("expression", "error", "words"),
    [
        ("torch.tensor([1.5]).share(bob, alice)", "FloatShareError", "Use fix_precision"),
        ("float_pointer.share(bob, alice)", "FloatShareError", "Use fix_precision"),
        ("plain_x * plain_y", "CryptoProviderError", "crypto provider"),
        ("plain_x > plain_y", "CryptoProviderError", "crypto provider"),
        ("plain_x.max()", "CryptoProviderError", "crypto provider"),
        ("x + z", "HoldersMismatchError", "different workers"),
        ("x * z", "HoldersMismatchError", "different workers"),
        ("x + three", "HoldersMismatchError", "different workers"),
        ("x + f", "PrecisionMismatchError", "scales"),
        ("x + torch.tensor([1])", "MixedSharedError", "plain tensor"),
        ("x + int_pointer", "MixedSharedError", "pointer"),
        ("x * 2.5", "MixedSharedError", "PySyft"),
        ("x.mm(torch.tensor([[1]]))", "MixedSharedError", "shared too"),
        ("bool(x)", "SharedValueError", "decrypt it first"),
        ("f.float_precision()", "SharedValueError", ".get().float_precision()"),
        ("torch.tensor([1]).share(bob)", "HoldersMismatchError", "at least two"),
        ("torch.tensor([1]).share(bob, bob)", "HoldersMismatchError", "twice"),
        ("torch.tensor([1]).share(bob, alice, crypto_provider=bob)", "CryptoProviderError", "also holds a share"),
        ("torch.tensor([1]).share(bob, alice, crypto_provider=me)", "CryptoProviderError", "cannot be the crypto"),
        ("torch.tensor([1e16]).fix_precision()", "FixedPrecisionOverflowError", "too large"),
        ("f3 * f3", "UnsupportedSharedOperationError", "exactly two holders"),
        ("torch.exp(x)", "UnsupportedSharedOperationError", "not supported on shared values"),
        ("x.mm(wide)", "ValueError", "shapes"),
    ],
)  # fmt: skip
def test_errors_are_clear_and_change_no_store(part9: Part9, expression: str, error: str, words: str) -> None:
    bob, alice, bill, cp = part9.bob, part9.alice, part9.bill, part9.crypto_provider
    namespace = {
        "torch": torch, "bob": bob, "alice": alice, "cp": cp, "me": part9.me,
        "x": torch.tensor([25]).share(bob, alice, crypto_provider=cp),
        "z": torch.tensor([5]).share(bob, bill, crypto_provider=cp),
        "three": torch.tensor([5]).share(bob, alice, bill, crypto_provider=cp),
        "f": torch.tensor([0.5]).fix_precision().share(bob, alice, crypto_provider=cp),
        "f3": torch.tensor([0.5]).fix_precision().share(bob, alice, bill, crypto_provider=cp),
        "plain_x": torch.tensor([25]).share(bob, alice),
        "plain_y": torch.tensor([5]).share(bob, alice),
        "float_pointer": torch.tensor([1.5]).send(bob), "int_pointer": torch.tensor([1]).send(bob),
        "wide": torch.ones(3, 2).long().share(bob, alice, crypto_provider=cp),
    }  # fmt: skip
    before = _state(part9)
    with pytest.raises(Exception) as raised:
        eval(expression, namespace)
    assert type(raised.value).__name__ == error or error in [c.__name__ for c in type(raised.value).__mro__]
    assert words in str(raised.value)
    assert _state(part9) == before


def test_get_twice_is_a_clear_error(part9: Part9) -> None:
    x = torch.tensor([25]).share(part9.bob, part9.alice)
    x.get()
    before = _state(part9)
    with pytest.raises(sy.errors.SyftWidgetsError, match=r"already brought back with \.get\(\)"):
        x.get()
    with pytest.raises(AttributeError):  # PySyft 0.2.9 raised AttributeError too
        x.get()
    with pytest.raises(sy.errors.SyftWidgetsError):
        x + 1
    assert _state(part9) == before
    assert "(retrieved with .get()" in repr(x)


def test_a_holder_failing_mid_protocol_leaves_every_store_as_it_was(
    part9: Part9, monkeypatch: pytest.MonkeyPatch
) -> None:
    from syft_widgets.encrypted import party

    cp = part9.crypto_provider
    x = torch.tensor([25, 3]).share(part9.bob, part9.alice, crypto_provider=cp)
    y = torch.tensor([5, 4]).share(part9.bob, part9.alice, crypto_provider=cp)
    resume = party.STEPS["resume"]
    calls = {"n": 0}

    def failing_resume(worker: Any, sender: Any, key: int) -> Any:
        calls["n"] += 1
        if worker.id == "alice" and calls["n"] >= 5:  # part-way through the comparison's rounds
            raise ConnectionError("alice went away")
        return resume(worker, sender, key)

    before = _state(part9)
    monkeypatch.setitem(party.STEPS, "resume", failing_resume)
    with pytest.raises(ConnectionError):
        _ = x > y
    assert _state(part9) == before

    def alice_fails(worker: Any, sender: Any, key: int) -> Any:
        if worker.id == "alice":
            raise ConnectionError("alice went away")
        return resume(worker, sender, key)

    monkeypatch.setitem(party.STEPS, "resume", alice_fails)
    with pytest.raises(ConnectionError):
        _ = x * y  # bob has stored his result share by the time alice fails: it is deleted again
    assert _state(part9) == before


# --- the seen ledger: who saw what in the clear -----------------------------------------------------
def test_the_seen_ledger_after_part_9(part9: Part9, steps: list) -> None:
    from syft_widgets.encrypted.seen import SeenLedger

    bob, alice, cp = part9.bob, part9.alice, part9.crypto_provider
    x = torch.tensor([25]).share(bob, alice, crypto_provider=cp)
    y = torch.tensor([5]).share(bob, alice, crypto_provider=cp)
    assert torch.equal((x * y).get(), torch.tensor([125]))
    assert torch.equal((x > y).get(), torch.tensor([1]))
    ledger = SeenLedger()
    for step in steps:
        ledger.add_step(step)
    seen = ledger.as_dict()
    assert list(seen)[:3] == ["me", "bob", "alice"]  # the world's order: me first, then creation
    me = seen["me"]
    assert [(e.how, e.preview) for e in me.clear] == [
        ("own", "[25]"),
        ("own", "[5]"),
        ("revealed", "[125]"),
        ("revealed", "[1]"),
    ]
    for holder in ("bob", "alice"):
        assert seen[holder].saw_nothing and seen[holder].shares == 2 and seen[holder].masked > 0
    assert seen["crypto_provider"].saw_nothing and seen["crypto_provider"].masked == 0
    assert seen["bill"].saw_nothing and seen["bill"].shares == 0


def test_the_seen_ledger_records_plain_tensors_a_worker_receives(part9: Part9, steps: list) -> None:
    from syft_widgets.encrypted.seen import SeenLedger

    bob, alice, james = part9.bob, part9.alice, part9.crypto_provider
    weights = torch.tensor([0.25, -0.5]).send(bob)  # bob gets it in the clear, as Part 10's data and model
    shared = weights.fix_precision().share(bob, alice, crypto_provider=james).get()
    assert torch.allclose(shared.get().float_precision(), torch.tensor([0.25, -0.5]))
    ledger = SeenLedger()
    for step in steps:
        ledger.add_step(step)
    seen = ledger.as_dict()
    assert [(e.how, e.source, e.preview) for e in seen["bob"].clear] == [
        ("received", "me", "[0.25, -0.5]"),
        ("own", "bob", "[0.25, -0.5]"),  # bob shares the value he holds: his own, as he sees it
    ]
    assert seen["alice"].saw_nothing and seen["alice"].shares == 1
    assert seen["crypto_provider"].saw_nothing and seen["crypto_provider"].masked == 0
    assert seen["me"].clear[-1].how == "revealed" and seen["me"].clear[-1].preview == "[0.25, -0.5]"


def test_the_seen_ledger_lists_the_gradients_model_get_brings_back(part9: Part9, steps: list) -> None:
    """Part 10's leak (spec 4.5): .get() of a trained model brings each parameter's .grad to me."""
    from syft_widgets.encrypted.seen import SeenLedger
    from syft_widgets.snapshot import preview

    bob = part9.bob
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    data, target = torch.randn(4, 3).send(bob), torch.randn(4, 1).send(bob)
    model.send(bob)
    torch.nn.functional.mse_loss(model(data), target).backward()
    with torch.no_grad():
        for param in model.parameters():
            param *= 0  # Part 10's cleanup: the values go, the gradients stay
    model.get()
    ledger = SeenLedger()
    for step in steps:
        ledger.add_step(step)
    grads = [(e.source, e.shape, e.preview) for e in ledger.as_dict()["me"].clear if e.attr == "grad"]
    assert model.weight.grad is not None and model.bias.grad is not None
    assert grads == [
        ("bob", (1, 3), preview(model.weight.grad)),
        ("bob", (1,), preview(model.bias.grad)),
    ]
    assert preview(model.weight.grad) != preview(torch.zeros(1, 3))


def _part10_record(part9: Part9, steps: list, monkeypatch: pytest.MonkeyPatch, fast: bool) -> dict:
    """The ledger after Part 10's aggregation cell (and a few products), the loop grouped or not."""
    from syft_widgets import world as world_module
    from syft_widgets.encrypted.seen import SeenLedger
    from syft_widgets.world import WORLD

    bob, alice, james = part9.bob, part9.alice, part9.crypto_provider
    params, _ = _models(bob, alice)
    x = torch.tensor([3, -4]).share(bob, alice, crypto_provider=james)
    WORLD.flush_steps()
    # fast: the loop is grouped into batches from its third step on, however slow the machine
    monkeypatch.setattr(world_module, "BURST_STEPS", 2 if fast else 10**9)
    monkeypatch.setattr(world_module, "BURST_WINDOW", 60.0)
    monkeypatch.setattr(world_module, "BATCH_SECONDS", 60.0)
    monkeypatch.setattr(WORLD, "_window_start", float("-inf"))
    new_params = []
    for param_i in range(len(params[0])):  # Part 10's cell, as the notebook runs it
        spdz_params = []
        for remote_index in range(2):
            fixed_precision_param = params[remote_index][param_i].fix_precision()
            encrypted_param = fixed_precision_param.share(bob, alice, crypto_provider=james)
            spdz_params.append(encrypted_param.get())
        new_params.append((spdz_params[0] + spdz_params[1]).get().float_precision() / 2)
    for _ in range(2):
        (x * x).get()  # a Beaver product: crypto material for bob and alice
    WORLD.flush_steps()
    assert any(s.op == "batch" and s.detail["kept"] for s in steps) == fast
    ledger = SeenLedger()
    for step in steps:
        ledger.add_step(step)
    return {
        w: (r.clear_count, r.shares, r.masked, [(e.how, e.source, e.shape, e.preview) for e in r.clear])
        for w, r in ledger.as_dict().items()
    }


def test_the_seen_ledger_does_not_depend_on_how_fast_a_loop_was(
    part9: Part9, steps: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = _part10_record(part9, steps, monkeypatch, fast=False)
    steps.clear()
    fast = _part10_record(part9, steps, monkeypatch, fast=True)
    assert fast == slow
    # Part 10: bob and alice each shared their own 2 parameters; me revealed 2 averages and 2 products
    for holder in ("bob", "alice"):
        own = [(shape, preview) for how, _, shape, preview in fast[holder][3] if how == "own"]
        assert [shape for shape, _ in own] == [(4, 13), (4,)]
        assert fast[holder][2] > 0  # the triples' shares and the openings of the products
    revealed = [(shape, preview) for how, _, shape, preview in fast["me"][3] if how == "revealed"]
    assert [shape for shape, _ in revealed] == [(4, 13), (4,), (2,), (2,)]
    assert revealed[-1][1] == "[9, 16]"
    assert fast["me"][1] == 2 * len(revealed)  # every share came home to me
    assert fast["crypto_provider"][:3] == (0, 0, 0)


def test_the_stop_button_right_after_get_puts_the_shares_back(
    part9: Part9, monkeypatch: pytest.MonkeyPatch
) -> None:
    from syft_widgets import interrupts

    x = torch.tensor([25, 7]).fix_precision().share(part9.bob, part9.alice)
    _ = x.shares  # with pointers too: they must work again afterwards
    before = _state(part9)
    release = interrupts.release

    def pressed_now(held: bool, undo: Any = None) -> None:  # ■ pressed while .get() ran
        if undo is not None:
            undo()
            release(held)
            raise KeyboardInterrupt
        release(held)

    monkeypatch.setattr(interrupts, "release", pressed_now)
    with pytest.raises(KeyboardInterrupt):
        x.get()
    monkeypatch.setattr(interrupts, "release", release)
    after = _state(part9)
    assert {w: set(v) for w, v in after.items() if w != "crypto"} == {
        w: set(v) for w, v in before.items() if w != "crypto"
    }
    assert x.get().float_precision().tolist() == [25.0, 7.0]  # the shared value works again
    assert part9.counts() == (0, 0, 0, 0)
