"""While a page is saved the diagram remembers each object's DOT line between pictures
(``dot.remembering_object_lines``): a remembered line must be exactly the line drawing the object afresh
writes, whatever was drawn before it; outside that block nothing is remembered."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from syft_widgets.diagram import dot, remembering_object_lines, to_dot
from syft_widgets.events import Step
from tests.recorded import SeedTutorial


def drawn_afresh(step: Step, lang: str, names: Mapping[int, str] | None) -> str:
    assert dot._OBJECT_LINES is None  # nothing remembered outside the block
    return to_dot(step.snapshot, step=step, lang=lang, names=names, legend=False)


@pytest.mark.parametrize("lang", ["en", "bn"])
def test_pictures_drawn_one_after_another_are_what_fresh_drawings_make(
    seed_tutorial: SeedTutorial, lang: str
) -> None:
    # Every step with the learner's names, then without names, then with them again: each object's
    # line first comes from a drawing of another step, or of this step with other names.
    runs = [(r.step, r.names) for r in seed_tutorial]
    runs += [(r.step, None) for r in seed_tutorial] + runs
    with remembering_object_lines():
        one_after_another = [to_dot(s.snapshot, step=s, lang=lang, names=n, legend=False) for s, n in runs]
        assert dot._OBJECT_LINES, "lines were remembered"
    assert one_after_another == [drawn_afresh(s, lang, n) for s, n in runs]
    count = len(seed_tutorial)
    named, unnamed = one_after_another[:count], one_after_another[count : 2 * count]
    assert any("x_ptr" in d for d in named), "the names are drawn"
    assert not any("x_ptr" in d for d in unnamed), "and only where given"
