"""The deployment files: Dockerfile, .dockerignore, compose.yaml, the systemd unit and constraints.txt.

No container engine is needed: the files are read and checked for what a server relies on.
"""

from __future__ import annotations

import configparser
import json
import re
import shlex
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, arguments = line.partition(" ")
            pairs.append((instruction.upper(), arguments.strip()))
    return pairs


def instructions(name: str) -> list[str]:
    return [arguments for instruction, arguments in dockerfile() if instruction == name]


def test_dockerfile_runs_the_bot_as_a_non_root_user_with_a_data_volume_and_a_health_check():
    assert instructions("FROM") == ["python:3.11-slim"]
    users = instructions("USER")
    assert users and users[-1] not in ("root", "0")
    assert json.loads(instructions("VOLUME")[-1]) == ["/data"]
    env = " ".join(instructions("ENV"))
    assert "SPITZFEDER_HOME=/data" in env and "DATABASE_URL=sqlite+aiosqlite:////data/spitzfeder.db" in env
    health = instructions("HEALTHCHECK")[-1]
    assert json.loads(health[health.index("CMD") + 3:]) == ["spitzfeder", "health"]
    assert instructions("STOPSIGNAL") == ["SIGTERM"]
    assert json.loads(instructions("CMD")[-1]) == ["spitzfeder", "run"]


def test_dockerfile_installs_the_package_pinned_by_constraints():
    installs = [run for run in instructions("RUN") if "pip install" in run]
    assert installs == ['pip install --no-cache-dir -c constraints.txt ".[postgres]"']


def test_everything_the_dockerfile_copies_exists_and_is_in_the_build_context():
    ignore = [line for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
              if line and not line.startswith("#")]
    assert ignore[0] == "*"  # an allow list: secrets (.env), databases and .venv stay out
    allowed = {line[1:] for line in ignore if line.startswith("!")}
    for copy in instructions("COPY"):
        *sources, _destination = shlex.split(copy)
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: missing"
            assert source in allowed, f"COPY {source}: excluded by .dockerignore"


def test_constraints_pin_the_whole_runtime_closure_and_nothing_else():
    lines = [line for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    pins = dict(line.split("==") for line in lines)
    assert all(re.fullmatch(r"[\w.-]+", name) and version for name, version in pins.items()), lines

    def normal(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    pinned = {normal(name) for name in pins}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["postgres"]
    for requirement in wanted:
        name = normal(re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0])
        assert name in pinned, f"{name} is not pinned in constraints.txt"
    assert not pinned & {"spitzfeder", "pytest", "mypy", "ruff", "simcord", "pyyaml"}


def test_compose_runs_the_bot_on_postgresql_once_it_is_healthy():
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services, volumes = compose["services"], compose["volumes"]
    db, bot = services["db"], services["bot"]

    assert db["image"] == "postgres:16"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    for service in (db, bot):
        assert service["restart"] == "unless-stopped"
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in volumes  # named volumes, not host paths
    assert db["volumes"] and "/var/lib/postgresql/data" in db["volumes"][0]

    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert bot["env_file"] == ".env"
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert "@db:" in bot["environment"]["DATABASE_URL"]
    assert bot["build"] == "."


def test_systemd_unit_runs_a_hardened_service_as_its_own_user():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # systemd keys are case sensitive
    unit.read(ROOT / "deploy" / "spitzfeder.service", encoding="utf-8")
    service = unit["Service"]
    assert service["User"] == "spitzfeder"
    assert service["ExecStart"] == "/opt/spitzfeder/.venv/bin/spitzfeder run"
    assert service["WorkingDirectory"] and service["EnvironmentFile"].startswith("/etc/spitzfeder/")
    assert service["Restart"] == "on-failure"
    assert service["KillSignal"] == "SIGTERM" and service["TimeoutStopSec"] == "15"
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
    assert service["ReadWritePaths"] == service["WorkingDirectory"] == "/var/lib/spitzfeder"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_the_health_check_command_exists():
    from bot.cli import build_parser

    commands = next(action for action in build_parser()._actions if action.dest == "command")
    if "health" not in commands.choices:
        pytest.skip("`spitzfeder health` comes with the health-check change; the HEALTHCHECK needs it")
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["health", "--help"])
    assert exit_info.value.code == 0
