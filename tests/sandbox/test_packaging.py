"""The sandbox is its own distribution: the tap's wheel has no sandbox file, and the sandbox never imports the tap."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import generic_rest_sandbox

REPO_ROOT = Path(__file__).resolve().parents[2]
SANDBOX_PACKAGE = Path(generic_rest_sandbox.__file__).parent


def test_the_tap_wheel_holds_no_sandbox_file(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy: an in-tree build would leave (and could reuse) a build/ folder
    shutil.copytree(REPO_ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".meltano", "output", "build", "*.egg-info", "__pycache__", ".*_cache"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(tmp_path),
         str(source)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    (wheel,) = tmp_path.glob("tap_generic_rest-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(name == "tap_generic_rest/cli.py" for name in names)
    assert any(name.startswith("tap_generic_rest/apis/avatars/") for name in names)  # the built-in APIs ship
    assert any(name == "tap_generic_rest/description/description.schema.json" for name in names)
    assert not [name for name in names if "sandbox" in name.split("/")[0] or name.startswith("generic_rest_sandbox")]
    entry_points = next(name for name in names if name.endswith("entry_points.txt"))
    assert "sandbox" not in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_the_sandbox_lives_outside_the_tap_package() -> None:
    assert SANDBOX_PACKAGE == REPO_ROOT / "sandbox" / "generic_rest_sandbox"
    assert not list(REPO_ROOT.glob("tap_generic_rest/**/sandbox/*.py"))  # (a stale __pycache__ may stay)


def test_the_sandbox_never_imports_the_tap() -> None:
    for module in SANDBOX_PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not [n for n in names if n.split(".")[0] == "tap_generic_rest"], module.name
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, generic_rest_sandbox.cli; "
         "print(sorted(m for m in sys.modules if m.startswith('tap_generic_rest')))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    assert loaded == "[]"
