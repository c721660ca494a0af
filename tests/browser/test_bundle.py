"""The browser tests must run the front end in js/src, not a stale build of an older one."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
BUNDLE = REPO / "syft_widgets" / "static" / "widget.js"
STYLESHEET = BUNDLE.with_name("widget.css")


def test_shipped_bundle_is_what_js_src_builds_to(tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node, "checking the bundle needs Node.js >= 18 (scripts/setup.sh installs it)"
    assert (REPO / "js" / "node_modules").is_dir(), "run `npm ci` in js/ (pip install -e . does it)"
    fresh = tmp_path / "widget.js"
    # esbuild's output depends only on its inputs, so an up-to-date bundle is byte for byte the same.
    subprocess.run(
        [node, "build.mjs", "--outfile", str(fresh)], cwd=REPO / "js", check=True, capture_output=True
    )
    for shipped in (BUNDLE, STYLESHEET):
        assert fresh.with_name(shipped.name).read_bytes() == shipped.read_bytes(), (
            f"{shipped.relative_to(REPO)} is not built from js/src as it is now: rebuild with "
            "`pip install -e . --no-deps` (or `npm run build` in js/)"
        )
