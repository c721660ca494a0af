"""Comparison of shared values, dealer-assisted, and ``max``/``argmax`` built on it.

Every comparison reduces to the sign of a shared difference d: [d < 0] is d's top bit (MSB) in the
64-bit ring. The protocol (the dealer-assisted "mask, open, compare bitwise" method of Catrina and
de Hoogh 2010 and of SecureNN's private compare, with the bitwise part done with Boolean Beaver
triples) runs as follows:

1. The crypto provider deals a fresh random mask r, *per element*, shared twice: additively, and
   bit by bit (XOR shares of its 64 bits). It also deals the AND triples and one random bit t
   (shared both ways) used below. It sees only the shape.
2. The holders open c = d + r to each other. c is uniform (r is), so it reveals nothing.
3. d = c − r, so MSB(d) = MSB(c) ⊕ MSB(r) ⊕ borrow, where borrow = [r' > c'] compares the low 63
   bits of r (shared) with those of c (public). That comparison is a prefix circuit over the bits
   (Kogge–Stone: six levels, each two ANDs of 64-bit words), each AND a Boolean Beaver product
   whose openings are masked by fresh triple words.
4. The XOR-shared bit becomes an additive share by opening u = MSB ⊕ t (uniform) and computing
   u + t − 2·u·t locally.

So each party's view — c, the Boolean openings, u — is uniformly random whatever the inputs, and the
result stays shared. Eight rounds of openings, a few dozen messages, for a tensor of any size.

``max``/``argmax`` are a tournament: neighbours are compared, the larger kept (b + [a ≥ b]·(a − b),
one Beaver product, with the index carried along), halving the candidates each round. Ties keep the
earlier index, as torch does, and the maximum is right with ties (PySyft 0.2.9 summed tied values).
"""

from __future__ import annotations

import torch

from .beaver import multiply
from .party import DEALERS, PROGRAMS, Opening, Party, Program
from .ring import random_bits, random_ring, split_additive, split_xor

__all__ = ["compare", "deal_comparison", "less_than_zero", "tournament", "tournament_plan"]

_SHIFTS = (1, 2, 4, 8, 16, 32)  # the prefix levels: after them, bit 62 sums up bits 0 to 62


def deal_comparison(shape: tuple[int, ...], holders: int) -> list[tuple]:
    """The crypto provider's part: mask r (additive and XOR shares), AND triples, and a bit t."""
    r = random_ring(shape)
    parts: list[list] = [[] for _ in range(holders)]
    for i, share in enumerate(split_additive(r, holders)):
        parts[i].append(share)
    for i, share in enumerate(split_xor(r, holders)):
        parts[i].append(share)
    for _ in range(2 * len(_SHIFTS)):
        a, b = random_ring(shape), random_ring(shape)
        for i, triple in enumerate(
            zip(split_xor(a, holders), split_xor(b, holders), split_xor(a & b, holders), strict=True)
        ):
            parts[i].append(triple)
    t = random_bits(shape)
    for i, (as_bit, as_number) in enumerate(
        zip(split_xor(t, holders), split_additive(t, holders), strict=True)
    ):
        parts[i].append(as_bit & 1)  # XOR shares of a bit: bit 0 of each
        parts[i].append(as_number)
    return [tuple(p) for p in parts]


def _and_words(party: Party, pairs: list[tuple[torch.Tensor, torch.Tensor]], triples: list) -> Program:
    """Bitwise AND of XOR-shared words, pair by pair, with Boolean Beaver triples (one round)."""
    masked: list[torch.Tensor] = []
    for (x, y), (a, b, _) in zip(pairs, triples, strict=True):
        masked += [x ^ a, y ^ b]
    opened = yield Opening("xor", tuple(masked))
    results = []
    for i, (_, (a, b, c)) in enumerate(zip(pairs, triples, strict=True)):
        d, e = opened[2 * i], opened[2 * i + 1]
        z = c ^ (d & b) ^ (e & a)
        if party.leads:
            z = z ^ (d & e)
        results.append(z)
    return tuple(results)


def less_than_zero(party: Party, d: torch.Tensor) -> Program:
    """This holder's additive share of [d < 0], element by element."""
    r_add, r_xor, *rest = party.take("comparison")
    triples, t_xor, t_add = rest[:-2], rest[-2], rest[-1]
    (c,) = yield Opening("add", (d + r_add,))
    not_c = ~c
    # Per bit: e = [r_i == c_i], g = [r_i > c_i]. With c public these are local on XOR shares.
    e = r_xor ^ not_c if party.leads else r_xor
    g = r_xor & not_c
    for level, shift in enumerate(_SHIFTS):
        e_low = e << shift
        if party.leads:  # bits below the shift count as "equal so far": fill them with ones
            e_low = e_low ^ ((1 << shift) - 1)
        pairs = [(e, g << shift), (e, e_low)]
        g_from_low, e = yield from _and_words(party, pairs, list(triples[2 * level : 2 * level + 2]))
        g = g ^ g_from_low
    borrow = (g >> 62) & 1
    top = ((r_xor >> 63) & 1) ^ borrow
    if party.leads:
        top = top ^ ((c >> 63) & 1)
    (u,) = yield Opening("xor", (top ^ t_xor,))
    u = u & 1
    share = t_add * (1 - 2 * u)
    return (share + u if party.leads else share,)


def compare(
    party: Party, x: torch.Tensor, y: torch.Tensor | int, op: str, scale: int, public: bool
) -> Program:
    """This holder's share of ``x op y`` (0/1, times ``scale`` for fixed-point results).

    ``y`` is another share, or a ``public`` number that only the first holder subtracts.
    """
    diff = x - y if party.leads or not public else x
    if op == "eq":  # [x == y] = 1 − [x − y < 0] − [y − x < 0]: both signs in one run
        (both,) = yield from less_than_zero(party, torch.stack([diff, -diff]))
        bit = -both[0] - both[1]
        bit = bit + 1 if party.leads else bit
    elif op in ("lt", "ge"):
        (bit,) = yield from less_than_zero(party, diff)  # [x − y < 0]
    else:  # gt, le: [y − x < 0] = [x > y]
        (bit,) = yield from less_than_zero(party, -diff)
    if op in ("ge", "le"):
        bit = (1 - bit) if party.leads else -bit
    return (bit * scale if scale != 1 else bit,)


def tournament_plan(shape: tuple[int, ...]) -> list[tuple[str, object]]:
    """The material a tournament over the last dimension of ``shape`` needs, round by round."""
    plan: list[tuple[str, object]] = []
    n = shape[-1]
    while n > 1:
        pair_shape = (*shape[:-1], n // 2)
        plan.append(("comparison", pair_shape))
        plan.append(("beaver", ("mul", (2, *pair_shape), (2, *pair_shape))))
        n = n // 2 + n % 2
    return plan


def tournament(
    party: Party, x: torch.Tensor, dim: int | None, keepdim: bool, sign: int, want: str
) -> Program:
    """Shares of the maximum (``sign`` 1) or minimum (−1) along ``dim`` (all, if None) and of its index.

    ``want`` is "values", "indices" or "both": only those are returned (and stored).
    """
    values = x.reshape(-1) if dim is None else x.movedim(dim, -1)
    if sign == -1:
        values = -values
    n = values.shape[-1]
    index = torch.arange(n, dtype=torch.int64).expand(values.shape).clone()
    if not party.leads:
        index = torch.zeros_like(index)  # the public positions, shared: the first holder holds them
    while n > 1:
        half = n // 2
        a, b = values[..., 0 : 2 * half : 2], values[..., 1 : 2 * half : 2]
        ia, ib = index[..., 0 : 2 * half : 2], index[..., 1 : 2 * half : 2]
        (a_smaller,) = yield from less_than_zero(party, a - b)  # ties keep a, the earlier index
        keep_a = (1 - a_smaller) if party.leads else -a_smaller
        both = torch.stack([keep_a, keep_a])
        (chosen,) = yield from multiply(party, both, torch.stack([a - b, ia - ib]), "mul")
        values = torch.cat([b + chosen[0], values[..., 2 * half :]], dim=-1)
        index = torch.cat([ib + chosen[1], index[..., 2 * half :]], dim=-1)
        n = values.shape[-1]
    best, where = values[..., 0], index[..., 0]
    if sign == -1:
        best = -best
    if keepdim and dim is not None:
        best, where = best.unsqueeze(dim), where.unsqueeze(dim)
    if want == "values":
        return (best.clone(),)
    if want == "indices":
        return (where.clone(),)
    return (best.clone(), where.clone())


DEALERS["comparison"] = deal_comparison
PROGRAMS["compare"] = compare
PROGRAMS["tournament"] = tournament
