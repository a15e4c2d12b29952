"""Shared fixtures.  Missing tools are errors that say how to fix them."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.config import Config, load_config

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """The shipped configuration with var/ in a temporary directory."""
    return load_config(environ={"LIAISON_HUB_VAR_DIR": str(tmp_path / "var")})
