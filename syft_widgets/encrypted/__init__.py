"""Encrypted programs (classic Parts 9 and 10): secret sharing, fixed precision, secure computation.

A value is split into additive shares over the ring Z_2^64, one per worker; any share alone is
uniformly random, so it says nothing. Linear operations run share by share; multiplication uses
Beaver triples that the crypto provider deals; comparison uses a mask and bit-wise comparison the
crypto provider also deals (see ``docs/encrypted.md``). Modules, bottom up:

- :mod:`.ring` random ring elements (a ChaCha20 key stream keyed by the OS), additive and XOR splitting
- :mod:`.fixed_precision` the fixed-point encoding (``fix_precision`` / ``float_precision``)
- :mod:`.messages` the three messages of the protocols
- :mod:`.party` what a share holder and the crypto provider do when those messages arrive
- :mod:`.linear` what each holder does alone on its share (``+ - sum view``)
- :mod:`.beaver`, :mod:`.comparison` the two interactive protocols, as per-party programs
- :mod:`.protocol` ``me``'s side of a protocol run: deal, start, resume; undo on failure
- :mod:`.sharing` splitting a value among workers and putting it back together
- :mod:`.operations` what a shared value can do (arithmetic, comparisons, max), operands checked first
- :mod:`.shared_tensor` the learner's ``SharedTensor``: making one, printing it, ``.get()``, its lifetime
- :mod:`.seen` who has seen what in the clear
- :mod:`.methods` the methods ``sy.TorchHook`` installs on tensors

This package's ``__init__`` imports none of them, so that the core can import one without the rest.
"""

__all__: list[str] = []
