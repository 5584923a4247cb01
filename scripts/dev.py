#!/usr/bin/env python3
"""Developer entry point: the two commands of the README's Quick start.

    python3 scripts/dev.py digest [newsbot digest options]
        Creates .venv on first use, installs newsbot into it and prints a digest of the
        bundled sample feeds (offline, no credentials).

    python3 scripts/dev.py test [pytest options]
        Creates or updates .venv with the dev and llm-local extras, then runs ruff, mypy and
        the whole pytest suite; exits non-zero when any of them fails.

Only the standard library is used here, so it runs on a fresh machine with Python 3.11+.
The project is re-installed only when pyproject.toml changed or more extras are needed
(a stamp file in .venv remembers what was installed). The llm-local extra builds
llama-cpp-python the first time (about 5 minutes); pip caches the wheel afterwards.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
STAMP = VENV / "newsbot-install.json"
TEST_EXTRAS = ("dev", "llm-local")
# llama.cpp built for the building CPU ("native") may use Intel AMX, which many VMs and
# sandboxes do not allow: the server then dies of an illegal instruction. Build for AVX2.
LLAMA_CMAKE_ARGS = "-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"


def _bin(name: str) -> Path:
    folder = "Scripts" if os.name == "nt" else "bin"
    suffix = ".exe" if os.name == "nt" else ""
    return VENV / folder / f"{name}{suffix}"


def _say(message: str) -> None:
    print(f"dev.py: {message}", file=sys.stderr, flush=True)


def _pyproject_hash() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def _installed() -> dict[str, object]:
    try:
        data = json.loads(STAMP.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def ensure_venv(extras: tuple[str, ...] = ()) -> None:
    """Create .venv if needed and (re)install the project when pyproject.toml changed."""
    if not _bin("python").exists():
        _say(f"creating {VENV.relative_to(ROOT)} (first run)")
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = _installed()
    have = stamp.get("extras", [])
    have_extras = set(have) if isinstance(have, list) else set()
    if stamp.get("pyproject") == _pyproject_hash() and set(extras) <= have_extras:
        return
    wanted = sorted(set(extras) | (have_extras if stamp.get("pyproject") else set()))
    target = f".[{','.join(wanted)}]" if wanted else "."
    _say(f"installing newsbot{target[1:]} into .venv (only when pyproject.toml changes)")
    if "llm-local" in wanted:
        _say("the llm-local extra builds llama-cpp-python once: about 5 minutes")
        os.environ.setdefault("CMAKE_ARGS", LLAMA_CMAKE_ARGS)
    _run([str(_bin("python")), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    code = _run([str(_bin("python")), "-m", "pip", "install", "--quiet", "-e", target])
    if code != 0:
        _say("pip install failed; see the messages above.")
        sys.exit(code)
    STAMP.write_text(
        json.dumps({"pyproject": _pyproject_hash(), "extras": wanted}), encoding="utf-8"
    )


def _run(command: list[str]) -> int:
    return subprocess.call(command, cwd=ROOT)


def digest(args: list[str]) -> int:
    """Install if needed, then print the digest of the bundled seeds."""
    ensure_venv()
    return _run([str(_bin("newsbot")), "digest", *args])


def test(args: list[str]) -> int:
    """Install with the test extras if needed, then ruff, mypy and pytest; all must pass."""
    ensure_venv(TEST_EXTRAS)
    steps = {
        "ruff": [str(_bin("ruff")), "check", "."],
        "mypy": [str(_bin("mypy"))],
        "pytest": [str(_bin("pytest")), *args],
    }
    failed = []
    for name, command in steps.items():
        _say(f"running {name}")
        if _run(command) != 0:
            failed.append(name)
    if failed:
        _say(f"FAILED: {', '.join(failed)}")
        return 1
    _say("ruff, mypy and pytest passed")
    return 0


COMMANDS = {"digest": digest, "test": test}


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may be run by an older python3
        _say("newsbot needs Python 3.11 or newer.")
        return 2
    if not argv or argv[0] not in COMMANDS:
        _say("usage: python3 scripts/dev.py digest [options] | test [pytest options]")
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
