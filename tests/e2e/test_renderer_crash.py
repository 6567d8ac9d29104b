"""Chromium's sampling heap profiler must not crash the page (docs/renderer-crash.md).

Chromium turns the profiler on in about 1 in 100 renderers. With Pyodide on JSPI, a renderer
that had it crashed as soon as it sampled an allocation made on one of JSPI's stacks. Here it is
on in every renderer and samples every allocation of 1 kB or more: before the patch that keeps
Pyodide off JSPI, each of 9 loads crashed so.
"""

from __future__ import annotations

from conftest import chat_window, new_user, open_page, own_card_query

HEAP_PROFILER_IN_EVERY_RENDERER = (
    "--enable-features=HeapProfilerReporting:stable-probability/1.0"
    "/nonstable-probability/1.0/renderer-sampling-rate-bytes/1000"
)


def test_the_page_runs_while_chromium_profiles_its_heap(
    browser_type, browser_type_launch_args, demo
):
    launch_args = dict(browser_type_launch_args)
    launch_args["args"] = [*launch_args["args"], HEAP_PROFILER_IN_EVERY_RENDERER]
    browser = browser_type.launch(**launch_args)
    try:
        page = browser.new_page()
        crashes: list[str] = []
        page.on("crash", lambda crashed: crashes.append(crashed.url))
        user_id = new_user()

        open_page(page, demo, own_card_query(user_id))
        chat = chat_window(page, demo)
        chat.locator('[data-testid="message-input"]').fill("Hello while profiled")
        chat.locator('[data-testid="message-send"]').click()
        page.locator('#records li[data-status="delivered"]').wait_for(timeout=30_000)
        open_page(page, demo, own_card_query(user_id))  # warm: code from the cache, same renderer

        assert crashes == []
        assert page.locator("#problem").is_hidden()
        assert [row["kind"] for row in demo.records(user_id)] == ["contact"]
    finally:
        browser.close()


def test_the_cdn_builds_script_hides_jspi_from_pyodide(page, demo):
    # CDN pages load Pyodide unpatched (make dist CDN=1); Pyodide uses JSPI when
    # WebAssembly.Suspending exists, the check the vendored copy's patch replaces.
    page.set_content("<!doctype html><title>blank</title>")
    assert page.evaluate('"Suspending" in WebAssembly')  # this Chromium has JSPI

    page.add_script_tag(url=f"{demo.page_url}/assets/no-jspi.js")

    assert not page.evaluate('"Suspending" in WebAssembly')
