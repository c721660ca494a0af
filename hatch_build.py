"""Hatchling build hook: bundle the live view's front end (js/) into syft_widgets/static/ with npm."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

__all__ = ["FrontEndBuildHook", "sources_digest"]

BUNDLE = "syft_widgets/static/widget.js"
STYLESHEET = "syft_widgets/static/widget.css"  # esbuild writes it next to the bundle (js/src/widget.css)
STAMP = "syft_widgets/static/widget.js.sha256"
NEEDS_NODE = (
    "building the front end needs Node.js >= 18 and npm (https://nodejs.org); "
    "install them, or build from an sdist, which already carries the bundle"
)
# Set to 1 to package without bundling (the live view then shows that its front end is missing).
SKIP_ENV = "SYFT_WIDGETS_SKIP_JS"


def sources_digest(root: Path) -> str:
    """A hash of everything the bundle is made from, so an unchanged front end is never rebuilt."""
    js = root / "js"
    files = [js / "package.json", js / "package-lock.json", js / "build.mjs"]
    files += sorted((js / "src").rglob("*"))
    digest = hashlib.sha256()
    for path in files:
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _node_major(node: str) -> int:
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout
    return int(out.strip().lstrip("v").split(".")[0])


class FrontEndBuildHook(BuildHookInterface):
    """Runs ``npm ci`` and ``npm run build`` when js/ changed, and ships the bundle as an artifact."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        build_data.setdefault("artifacts", []).extend([BUNDLE, STYLESHEET, STAMP])
        if os.environ.get(SKIP_ENV) == "1":
            return
        bundle, stamp = root / BUNDLE, root / STAMP
        if not (root / "js" / "package.json").is_file():
            # An sdist may omit js/; then the bundle it carries is the only source.
            if bundle.is_file():
                return
            raise RuntimeError(f"{BUNDLE} is missing and there is no js/ to build it from")
        digest = sources_digest(root)
        built = bundle.is_file() and (root / STYLESHEET).is_file()
        if built and stamp.is_file() and stamp.read_text().strip() == digest:
            return
        npm, node = shutil.which("npm"), shutil.which("node")
        if npm is None or node is None or _node_major(node) < 18:
            raise RuntimeError(NEEDS_NODE)
        js = root / "js"
        self.app.display_info("syft-widgets: building the front end (npm ci && npm run build)")
        # npm 11 skips install scripts by default; esbuild's native binary arrives without them.
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=js, check=True)
        subprocess.run([npm, "run", "build"], cwd=js, check=True)
        if not bundle.is_file():
            raise RuntimeError(f"npm run build finished but {BUNDLE} was not written")
        stamp.write_text(digest + "\n")
