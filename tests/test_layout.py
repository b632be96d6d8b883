"""The project's layout: one installed name, packages that cover every folder, no import circles, small modules.

These guard the structure a newcomer relies on; each fails when the rule it
names is broken (checked once by breaking it).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOPS = ("engine", "gui", "resources")
MAX_LINES = 600


def _modules() -> dict[str, Path]:
    """Dotted name (as installed, without ``brushwork.``) -> file, for every module of engine/ and gui/."""
    out = {}
    for top in ("engine", "gui"):
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The project's modules that ``name`` imports, anywhere in the file (also inside functions)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            target = target.removeprefix("brushwork.")
            if target in known and target != name:
                found.add(target)
    return found


def test_no_import_circles():
    """Two modules that import each other (directly or round a loop) are one concern split in two."""
    modules = _modules()
    graph = {name: _imports(name, path, set(modules)) for name, path in modules.items()}

    def reaches(start: str, goal: str) -> bool:
        stack, seen = [start], set()
        while stack:
            here = stack.pop()
            if here == goal:
                return True
            if here not in seen:
                seen.add(here)
                stack.extend(graph[here])
        return False

    circles = sorted(
        f"{a} <-> {b}"
        for a in graph
        for b in graph[a]
        # a package's __init__ and its own modules may name each other
        if a < b and not b.startswith(a + ".") and not a.startswith(b + ".") and reaches(b, a)
    )
    assert not circles, circles


def test_no_module_is_over_600_lines():
    lengths = {str(path.relative_to(ROOT)): len(path.read_text().splitlines()) for path in _modules().values()}
    long = {path: n for path, n in lengths.items() if n > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_every_package_folder_is_installed_under_brushwork():
    """setuptools installs only the packages pyproject.toml lists: a folder left out would be missing from the wheel."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11 and later
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    folders = {
        "brushwork." + ".".join(init.parent.relative_to(ROOT).parts)
        for top in TOPS
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert folders - listed == set(), "folders missing from pyproject.toml's packages"
    assert listed - folders == set(), "packages listed in pyproject.toml without a folder"
    assert config["package-dir"] == {f"brushwork.{top}": top for top in TOPS}


@pytest.mark.parametrize("top", TOPS)
def test_nothing_imports_the_folders_under_their_bare_names(top):
    """Installed, there is no top-level ``engine``, ``gui`` or ``resources``: code that imported one would
    work in a checkout (whose root is on the path) and fail for users, or load a stranger's package."""
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and not node.level and node.module:
                assert node.module.split(".")[0] != top, f"{name} imports {node.module}"
            elif isinstance(node, ast.Import):
                assert all(alias.name.split(".")[0] != top for alias in node.names), f"{name} imports {top}"
            elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                # importlib.resources.files("resources") or import_module("engine.x"): the same mistake, in a string
                func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if func in ("files", "import_module") and isinstance(node.args[0].value, str):
                    assert node.args[0].value.split(".")[0] != top, f"{name} names the package {node.args[0].value}"


def test_the_shipped_files_are_found_from_outside_the_checkout(tmp_path):
    """The icon and the samples, looked up as the installed package has them (a user's folder is no checkout)."""
    code = (
        "from brushwork.gui.desktop_entry import icon_path; "
        "from brushwork.engine.files.bundled_files import sample_images, presets_dir; "
        "print(icon_path().is_file(), all(p.is_file() for p in sample_images()), presets_dir().is_dir())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "True", "True"]


def test_the_engine_and_the_window_start_under_the_installed_name(tmp_path):
    """``python -m brushwork.engine`` and ``python -m brushwork.gui`` answer, from a folder outside the checkout."""
    for module, word in (("brushwork.engine", "brushwork-render"), ("brushwork.gui", "brushwork")):
        out = subprocess.run(
            [sys.executable, "-m", module, "--help"], capture_output=True, text=True, timeout=120, cwd=tmp_path
        )
        assert out.returncode == 0, out.stderr
        assert word in out.stdout
