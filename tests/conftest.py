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

    from tests.browser import CHROMIUM_ARGS, DEVICES, require_chromium

    executable = require_chromium()
    async with async_playwright() as p:
        DEVICES.update(p.devices)
        browser = await p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        # Playwright's wait_for_function evaluates its predicate with eval,
        # which the hub's Content-Security-Policy forbids: contexts bypass the
        # policy unless a test asks for it (tests/test_e2e_csp.py does, and
        # checks the pages under it).
        new_context = browser.new_context

        async def new_context_bypassing_csp(**options):
            options.setdefault("bypass_csp", True)
            return await new_context(**options)

        browser.new_context = new_context_bypassing_csp  # type: ignore[method-assign]
        yield browser
        await browser.close()
