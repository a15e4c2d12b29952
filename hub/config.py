"""The hub's configuration: one typed model, loaded from YAML files in ``configs/``.

Order, as LiveKit's ``pkg/config`` does it: model defaults, then the YAML
file (unknown keys rejected), then ``LIAISON_HUB_*`` environment variables,
then validation.  A broken file stops the hub with a :class:`ConfigError`
naming the file, the line and the key, and what is wrong.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml
from pydantic import BaseModel, ValidationError

from core.matrix import Matrix, MatrixError, Station
from hub.rule_files import CategoriesFile, DepartmentsFile, ScoringFile
from hub.settings import HubSettings
# Imported from here by the shell and the tests: every model of configs/ has one home.
from hub.settings import MetricsSettings as MetricsSettings
from hub.settings import OutboundSettings as OutboundSettings

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_DIR = PROJECT_DIR / "configs"
ENV_PREFIX = "LIAISON_HUB_"


class ConfigError(Exception):
    """A configuration file is missing or wrong.  ``str()`` is the message for
    the operator: file, line, key, problem."""


# --- the whole configuration -------------------------------------------------


@dataclass(frozen=True)
class Config:
    settings: HubSettings
    matrix: Matrix
    categories: CategoriesFile
    config_dir: Path
    departments: DepartmentsFile = field(default_factory=DepartmentsFile)
    scoring: ScoringFile = field(default_factory=ScoringFile)

    @property
    def var_dir(self) -> Path:
        path = Path(self.settings.var_dir)
        return path if path.is_absolute() else PROJECT_DIR / path

    @property
    def recordings_dir(self) -> Path:
        """Where recordings go: ``recording.directory``, else ``var/recordings``."""
        value = self.settings.recording.directory
        if not value:
            return self.var_dir / "recordings"
        path = Path(value)
        return path if path.is_absolute() else PROJECT_DIR / path

    @property
    def base_url(self) -> str:
        s = self.settings
        scheme = "https" if s.tls.enabled else "http"
        return s.base_url or f"{scheme}://{s.host}:{s.port}"

    def project_path(self, name: str) -> Path:
        """A file named in the settings: relative to the project directory."""
        path = Path(name)
        return path if path.is_absolute() else PROJECT_DIR / path

    @property
    def database_url(self) -> str:
        return self.settings.database_url or f"sqlite:///{self.var_dir / 'hub.db'}"


def load_config(
    config_dir: Optional[Path | str] = None, environ: Optional[dict[str, str]] = None
) -> Config:
    """Load and validate every file of ``config_dir`` (default ``configs/``,
    or ``$LIAISON_HUB_CONFIG_DIR``).  Raises :class:`ConfigError`."""
    env = os.environ if environ is None else environ
    directory = Path(config_dir or env.get(ENV_PREFIX + "CONFIG_DIR") or DEFAULT_CONFIG_DIR)
    if not directory.is_dir():
        raise ConfigError(f"{directory}: configuration directory not found")

    raw_hub = _read_yaml(directory / "hub.yaml", required=False)
    data = dict(raw_hub.value or {}) if raw_hub.value is not None else {}
    if not isinstance(raw_hub.value, (dict, type(None))):
        raise ConfigError(f"{raw_hub.path}: the file must hold a mapping of settings")
    _apply_environment(data, env)
    settings = _validate(HubSettings, data, raw_hub)

    raw_matrix = _read_yaml(directory / "matrix.yaml", required=True)
    matrix = _load_matrix(raw_matrix)

    raw_categories = _read_yaml(directory / "categories.yaml", required=True)
    categories = _validate(CategoriesFile, raw_categories.value, raw_categories)

    raw_departments = _read_yaml(directory / "departments.yaml", required=False)
    departments = _validate(DepartmentsFile, raw_departments.value, raw_departments)
    _check_departments(departments, matrix, raw_departments)

    raw_scoring = _read_yaml(directory / "scoring.yaml", required=False)
    scoring = _validate(ScoringFile, raw_scoring.value, raw_scoring)

    return Config(settings=settings, matrix=matrix, categories=categories, config_dir=directory,
                  departments=departments, scoring=scoring)


def _check_departments(departments: DepartmentsFile, matrix: Matrix, raw: "_RawFile") -> None:
    """Town-level departments serve a town station of the matrix; others none."""
    for index, department in enumerate(departments.departments):
        loc = ("departments", index, "station")
        line = raw.line_of(loc)
        where = f"{raw.path}{', line ' + str(line) if line else ''}: {_format_loc(loc)}"
        if department.level == "town":
            if department.station is None:
                raise ConfigError(f"{where}: a town-level department names the town station it serves")
            station = matrix.get(department.station)
            if station is None:
                raise ConfigError(f"{where}: no station {department.station!r} in matrix.yaml")
            if station.level != "town":
                raise ConfigError(f"{where}: {department.station!r} is a {station.level}, not a town/street station")
        elif department.station is not None:
            raise ConfigError(f"{where}: only town-level departments name a station")


# --- helpers -----------------------------------------------------------------


@dataclass
class _RawFile:
    path: Path
    value: Any
    lines: dict[tuple, int]  # key path -> 1-based line number

    def line_of(self, loc: tuple) -> Optional[int]:
        # The deepest prefix of ``loc`` that has a known line.
        for end in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return None


#: libyaml's safe loader where PyYAML was built with it (ten times faster: the hub and every
#: test read these files), else the pure-Python one; both give the same values and marks.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path, required: bool) -> _RawFile:
    if not path.exists():
        if required:
            raise ConfigError(f"{path}: file not found")
        return _RawFile(path, None, {})
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=_LOADER)
        value = yaml.load(text, Loader=_LOADER)  # noqa: S506 (a safe loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: not valid YAML: {exc.problem}") from None
    lines: dict[tuple, int] = {}
    if node is not None:
        _index_lines(node, (), lines)
    return _RawFile(path, value, lines)


def _index_lines(node: yaml.Node, loc: tuple, lines: dict[tuple, int]) -> None:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*loc, key_node.value)
            _index_lines(value_node, key, lines)
            lines[key] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, (*loc, index), lines)


def _format_loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _validate(model: type[BaseModel], value: Any, raw: _RawFile) -> Any:
    try:
        return model.model_validate(value if value is not None else {})
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            line = raw.line_of(loc)
            where = f", line {line}" if line else ""
            message = error["msg"]
            if error["type"] == "extra_forbidden":
                message = "unknown key"
            problems.append(f"{raw.path}{where}: {_format_loc(loc)}: {message}")
        raise ConfigError("\n".join(problems)) from None


def _apply_environment(data: dict[str, Any], env: dict[str, str] | os._Environ) -> None:
    """``LIAISON_HUB_PORT=9000`` sets ``port``; ``LIAISON_HUB_MEDIA__LOOPBACK_CANDIDATES``
    sets ``media.loopback_candidates``.  Values are parsed as YAML scalars."""
    for name, text in env.items():
        if not name.startswith(ENV_PREFIX) or name == ENV_PREFIX + "CONFIG_DIR":
            continue
        keys = name[len(ENV_PREFIX):].lower().split("__")
        target = data
        for key in keys[:-1]:
            target = target.setdefault(key, {})
            if not isinstance(target, dict):
                raise ConfigError(f"environment {name}: {key} is not a section")
        try:
            target[keys[-1]] = yaml.safe_load(text) if text else ""
        except yaml.YAMLError:
            target[keys[-1]] = text


def _load_matrix(raw: _RawFile) -> Matrix:
    value = raw.value
    if not isinstance(value, dict) or set(value) != {"stations"}:
        line = raw.line_of(())
        raise ConfigError(
            f"{raw.path}{', line ' + str(line) if line else ''}: "
            "the file must hold exactly one key, stations"
        )

    seen: dict[str, int] = {}

    def build(items: Any, loc: tuple) -> list[Station]:
        if not isinstance(items, list):
            raise ConfigError(f"{raw.path}, line {raw.line_of(loc)}: {_format_loc(loc)}: must be a list")
        stations = []
        for index, item in enumerate(items):
            item_loc = (*loc, index)
            if not isinstance(item, dict):
                raise ConfigError(
                    f"{raw.path}, line {raw.line_of(item_loc)}: {_format_loc(item_loc)}: must be a mapping"
                )
            fields = {k: v for k, v in item.items() if k != "children"}
            code = fields.get("code")
            if isinstance(code, str) and code in seen:
                code_loc = (*item_loc, "code")
                raise ConfigError(
                    f"{raw.path}, line {raw.line_of(code_loc)}: {_format_loc(code_loc)}: "
                    f"station code {code!r} is already used on line {seen[code]}"
                )
            if isinstance(code, str):
                seen[code] = raw.line_of((*item_loc, "code")) or 0
            children = build(item.get("children", []), (*item_loc, "children"))
            try:
                stations.append(Station.from_config(fields, children))
            except MatrixError as exc:
                key_loc = (*item_loc, exc.key) if exc.key else item_loc
                raise ConfigError(
                    f"{raw.path}, line {raw.line_of(key_loc)}: {_format_loc(key_loc)}: {exc}"
                ) from None
        return stations

    roots = build(value["stations"], ("stations",))
    try:
        return Matrix(roots)
    except MatrixError as exc:
        raise ConfigError(f"{raw.path}: {exc}") from None
