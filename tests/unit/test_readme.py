"""The README documents what the code does: every proxy setting and every make target."""

from __future__ import annotations

import re
from pathlib import Path

from proxy.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_every_proxy_setting_is_in_the_readme_table() -> None:
    missing = [name.upper() for name in Settings.model_fields if f"`{name.upper()}`" not in README]
    assert missing == []


def test_the_readme_names_no_setting_the_proxy_does_not_have() -> None:
    section = README.split("### The proxy: environment variables")[1].split("The demo launcher")[0]
    documented = set(re.findall(r"^\| `([A-Z_]+)`", section, flags=re.MULTILINE))
    documented |= set(re.findall(r"`, `([A-Z_]+)` \|", section))
    fields = {name.upper() for name in Settings.model_fields}
    assert documented - fields == set()


def test_the_two_readme_commands_are_make_targets() -> None:
    makefile = (ROOT / "Makefile").read_text()
    for target in ("demo", "test"):
        assert f"make {target}" in README
        assert re.search(rf"^{target}:", makefile, flags=re.MULTILINE)
