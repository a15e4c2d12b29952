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


@pytest.fixture
async def browser():
    """Debian's headless Chromium, driven by Playwright (never a downloaded browser)."""
    from playwright.async_api import async_playwright

    from tests.browser import CHROMIUM_ARGS, DEVICES, bypass_csp_by_default, require_chromium

    executable = require_chromium()
    async with async_playwright() as p:
        DEVICES.update(p.devices)
        browser = await p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        bypass_csp_by_default(browser)
        yield browser
        await browser.close()
