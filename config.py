"""The configuration page's start (config.html): pydantic loads as on the chat window page
(components/early.py: its WebAssembly comes compiled from Chromium's cache), then
components/config_page.py wires the form."""

import asyncio

from components.early import load_packages
from components.page_view import set_status

BACKGROUND = set()  # asyncio holds tasks weakly


async def start():
    try:
        await load_packages()
        from components.config_page import start as start_page

        start_page()
    except Exception as error:  # say what broke where the page shows its state
        set_status(f"{type(error).__name__}: {error}", "error")
        raise


BACKGROUND.add(asyncio.ensure_future(start()))
