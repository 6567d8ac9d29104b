"""Find a Chromium for the end-to-end tests, or install one.

Order: $CHROMIUM_PATH; a system Chromium; on Debian as root `apt-get install chromium`;
else Playwright's own download (needs internet). Prints the path it settled on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_system_chromium() -> str | None:
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit and Path(explicit).exists():
        return explicit
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def playwright_chromium() -> str | None:
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            path = playwright.chromium.executable_path
    except Exception:
        return None
    return path if path and Path(path).exists() else None


def install() -> None:
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if is_root and shutil.which("apt-get"):
        print("ensure_browser: installing Debian's chromium with apt-get", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True)
        return
    print("ensure_browser: downloading Playwright's Chromium", flush=True)
    subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"], check=True)


def main() -> int:
    path = find_system_chromium() or playwright_chromium()
    if path is None:
        try:
            install()
        except (subprocess.CalledProcessError, FileNotFoundError) as error:
            print(
                f"ensure_browser: could not install Chromium ({error}). Install Chromium "
                "and set CHROMIUM_PATH to it.",
                file=sys.stderr,
            )
            return 1
        path = find_system_chromium() or playwright_chromium()
    if path is None:
        print(
            "ensure_browser: no Chromium found after installing; set CHROMIUM_PATH.",
            file=sys.stderr,
        )
        return 1
    print(f"ensure_browser: using {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
