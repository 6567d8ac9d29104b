"""The configuration page's start (config.html): pydantic loads as on the chat window page
(components/early.py: its WebAssembly comes compiled from Chromium's cache), then
components/config_page.py wires the form."""

import asyncio

import js

from components.early import load_packages

BACKGROUND = set()  # asyncio holds tasks weakly


async def start():
    try:
        await load_packages()
        from components.config_page import start as start_page

        start_page()
    except Exception as error:  # say what broke where the page shows its state
        status = js.document.getElementById("status")
        status.textContent = f"{type(error).__name__}: {error}"
        status.dataset.state = "error"
        raise


BACKGROUND.add(asyncio.ensure_future(start()))
