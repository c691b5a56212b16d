"""Running Graphviz, and the two caches that keep re-renders cheap.

The Graphviz output is cached by a hash of the DOT source; the finished
markup (``engine.drawing.render_svg``) by that hash plus the elements
themselves and the decorations. Both are small LRUs local to the process;
content-addressed keys never go stale.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import os
import shutil
import stat
import subprocess
import tempfile
import threading
from collections import OrderedDict

CACHE_SIZE = 128


class LRU:
    """A small thread-safe least-recently-used map of text."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: str, value: str) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


layouts = LRU(CACHE_SIZE)  # Graphviz output by DOT hash
finished = LRU(CACHE_SIZE)  # decorated markup (engine.drawing.render_svg)


def clear_caches() -> None:
    """Forget cached renders (tests and benchmarks measure cold renders with it)."""
    layouts.clear()
    finished.clear()


class DrawingError(RuntimeError):
    """Graphviz is missing or failed."""


# Graphviz spends ~40 ms of every run loading its plugins, most of it the
# pango/cairo renderer initialising fontconfig. SVG and plain output need only
# the core renderer and the layout engines; without pango, text is measured
# with Graphviz's built-in Helvetica metrics (also the same on every machine).
# So runs use a private plugin directory holding only those three plugins:
# ~10 ms per run instead of ~50. Any trouble building it falls back to the
# normal installation.
LITE_PLUGINS = ("core", "dot_layout", "neato_layout")
PLUGIN_GLOBS = (
    "/usr/lib/*/graphviz",
    "/usr/lib64/graphviz",
    "/usr/lib/graphviz",
    "/usr/local/lib/graphviz",
    "/opt/homebrew/lib/graphviz",
)


@functools.cache
def graphviz_env() -> dict[str, str] | None:
    try:
        return lite_plugin_env()
    except (OSError, AttributeError, subprocess.SubprocessError):
        return None


def lite_plugin_env() -> dict[str, str] | None:
    source = next(
        (
            d
            for pattern in PLUGIN_GLOBS
            for d in sorted(glob.glob(pattern))
            if glob.glob(os.path.join(d, "libgvplugin_core.so*"))
        ),
        None,
    )
    if source is None or shutil.which("dot") is None:
        return None
    target = os.path.join(tempfile.gettempdir(), f"waymark-graphviz-{os.getuid()}")
    env = {**os.environ, "GVBINDIR": target}
    if not os.path.exists(os.path.join(target, "config6a")) and not os.path.exists(
        os.path.join(target, "config6")
    ):
        building = tempfile.mkdtemp(prefix="waymark-graphviz-")
        for plugin in LITE_PLUGINS:
            for path in glob.glob(os.path.join(source, f"libgvplugin_{plugin}.so*")):
                os.symlink(path, os.path.join(building, os.path.basename(path)))
        subprocess.run(
            ["dot", "-c"], env={**os.environ, "GVBINDIR": building}, check=True, timeout=30
        )
        try:
            os.rename(building, target)
        except OSError:
            shutil.rmtree(building, ignore_errors=True)  # another process made it first
    # Graphviz loads code from this directory: use it only if it is ours alone
    # (mkdtemp makes it 0700), never one someone else planted in /tmp.
    info = os.lstat(target)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None
    check = subprocess.run(
        ["dot", "-Tsvg"], input=b"digraph{a->b}", env=env, capture_output=True, timeout=30
    )
    return env if check.returncode == 0 and b"<svg" in check.stdout else None


def run_graphviz(dot: str, fmt: str, *, pinned: bool) -> str:
    command = [*(["neato", "-n2"] if pinned else ["dot"]), f"-T{fmt}"]
    env = graphviz_env()
    done = _graphviz(command, dot, env)
    if done.returncode != 0 and env is not None:
        # The private plugin directory may have been cleaned away with /tmp:
        # run as installed now, and build it again next time.
        graphviz_env.cache_clear()
        done = _graphviz(command, dot, None)
    if done.returncode != 0:
        raise DrawingError(f"Graphviz failed: {done.stderr.decode('utf-8', 'replace')[:500]}")
    return done.stdout.decode("utf-8")


def _graphviz(command: list[str], dot: str, env) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            command, input=dot.encode("utf-8"), capture_output=True, timeout=30, env=env
        )
    except FileNotFoundError as exc:
        raise DrawingError(
            "Graphviz is not installed: install the 'graphviz' package (dot)."
        ) from exc


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def layout_svg(dot: str, *, pinned: bool) -> str:
    key = digest(dot)
    svg = layouts.get(key)
    if svg is None:
        svg = run_graphviz(dot, "svg", pinned=pinned)
        layouts.put(key, svg)
    return svg
