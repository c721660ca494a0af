"""The three messages of encrypted protocols, beside the core's (``syft_widgets.messages``).

===============  ==============  =========================================  ==========================
message          label           from → to                                  what it carries
===============  ==============  =========================================  ==========================
``SendShare``    "send share"    a value's owner → each other share holder  one share (stored)
``RunProtocol``  "protocol"      me → a holder or the crypto provider       a step name, ids, shapes
``SendCrypto``   "crypto"        crypto provider → holders; holder → holder triples, masks, openings
===============  ==============  =========================================  ==========================

``RunProtocol`` never carries a secret or a share: only ids, shapes and public numbers. What
``SendCrypto`` carries is random-looking to its receiver (a share of a triple, or a value masked by
randomness the receiver does not know). :mod:`.party` handles all three.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from ..events import MessageSent
from ..messages import Summary
from ..snapshot import ShareTag
from ..world import WORLD

__all__ = ["HANDLERS", "ProtocolMessage", "RunProtocol", "SendCrypto", "SendShare", "send", "tensor_bytes"]


def tensor_bytes(values: object) -> int:
    """The bytes of every tensor in ``values`` (a tensor, or nested tuples and lists of them)."""
    if isinstance(values, torch.Tensor):
        return values.numel() * values.element_size()
    if isinstance(values, (tuple, list)):
        return sum(tensor_bytes(v) for v in values)
    return 0


@dataclass(slots=True)
class SendShare:
    """Store ``share`` under ``obj_id`` (a fresh id if taken), marked as share ``tag.index`` of a secret."""

    label: ClassVar = "send share"
    obj_id: int
    share: torch.Tensor
    tag: ShareTag
    precision: int | None = None

    def summary(self) -> Summary:
        return Summary(self.label, "share", (self.obj_id,), "tensor", tensor_bytes(self.share))


@dataclass(slots=True)
class RunProtocol:
    """Run protocol step ``step`` for the protocol run ``key`` (see :mod:`.party`)."""

    label: ClassVar = "protocol"
    step: str
    key: int
    args: tuple = ()
    op: str = ""  # what a diagram calls this message ("mul", "gt", ...); the step when empty

    def summary(self) -> Summary:
        return Summary(self.label, self.op or self.step, (), None, 0)


@dataclass(slots=True)
class SendCrypto:
    """Material for protocol run ``key``: ``what`` is "triple", "comparison mask" or "open"."""

    label: ClassVar = "crypto"
    key: int
    what: str
    values: tuple
    round: int = 0  # for "open": the opening round these values belong to

    def summary(self) -> Summary:
        return Summary(self.label, self.what, (), "tensor", tensor_bytes(self.values))


ProtocolMessage = SendShare | RunProtocol | SendCrypto

# How a worker answers each of these messages (filled in by party.py, which holds the handlers).
HANDLERS: dict[type, Callable[[Any, Any, Hashable], Any]] = {}


# Open tallies of the crypto messages each worker receives (innermost last): a protocol run inside
# a batch of grouped steps has no events, so it counts them here for the privacy record instead.
CRYPTO_TALLIES: list[Counter[str]] = []


def send(sender: Any, message: ProtocolMessage, receiver: Any) -> Any:
    """Deliver ``message`` from ``sender`` to ``receiver`` and return the receiver's reply.

    Like the core's ``BaseWorker.send_msg``: the message is announced (a diagram draws it) and the
    receiver's handler answers it. These messages are not in the core's vocabulary
    (``syft_widgets.messages``): they only travel between workers of this process.
    """
    if WORLD.recording:
        WORLD.emit(MessageSent(str(sender.id), str(receiver.id), *message.summary()))
    elif CRYPTO_TALLIES and type(message) is SendCrypto:
        CRYPTO_TALLIES[-1][str(receiver.id)] += 1
    return HANDLERS[type(message)](receiver, message, sender.id)
