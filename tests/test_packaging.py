"""An installed wheel drafts: the prompts ship inside the package, nothing needs the source checkout.

The wheel is built offline (`pip wheel --no-build-isolation`, with the setuptools of the test extras) and
installed into a fresh venv that borrows the dependencies of this one through a `.pth` path line (a plain path
line adds the folder without running its `.pth` files, so the editable install of the checkout stays out).
"""

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from bot.settings import PROJECT_ROOT
from tests.fakes.samples import GOOD_DRAFTS, NEWS


def _run(*argv: str | Path, **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(a) for a in argv], capture_output=True, text=True, check=False, timeout=120, **kwargs)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _build_wheel(tmp_path: Path) -> Path:
    source = tmp_path / "source"  # a copy: the build writes build/ and *.egg-info next to pyproject.toml
    shutil.copytree(PROJECT_ROOT / "bot", source / "bot", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(PROJECT_ROOT / name, source / name)
    wheels = tmp_path / "wheels"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-w", wheels, source)
    (wheel,) = wheels.glob("spitzfeder-*.whl")
    return wheel


def _fresh_venv(tmp_path: Path) -> Path:
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "borrowed_dependencies.pth").write_text("".join(f"{path}\n" for path in sorted(ours)))
    return python


def test_a_wheel_install_drafts_outside_the_checkout(tmp_path, llm_env):
    wheel = _build_wheel(tmp_path)
    python = _fresh_venv(tmp_path)
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    # pip from this environment, run by the new interpreter: installs there, with its own `spitzfeder` script.
    _run(python, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed", "-q", wheel, env=env)
    script = python.parent / ("spitzfeder.exe" if os.name == "nt" else "spitzfeder")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    where = _run(python, "-c", "import bot; print(bot.__file__)", cwd=elsewhere, env=env).stdout
    assert str(tmp_path / "venv") in where and str(PROJECT_ROOT) not in where

    llm_env.reply_drafts(*GOOD_DRAFTS)
    result = _run(script, "draft", NEWS, "--no-save", cwd=elsewhere, env=env)
    assert f"1. {GOOD_DRAFTS[0][0]}" in result.stdout and f"4. {GOOD_DRAFTS[3][0]}" in result.stdout
    assert not (tmp_path / "home").exists()  # --no-save: no database, no data folder

    prompts = elsewhere / "meine-prompts"
    _run(script, "prompts", "export", prompts, cwd=elsewhere, env=env)
    assert sorted(path.name for path in prompts.iterdir()) == [
        "draft.txt", "fairness.txt", "patterns.txt", "premise_check.txt", "refine.txt", "repair.txt", "style.txt",
        "system.txt"]
