"""The page's speed, measured: `make bench` (or `python -m bench`).

Times the page against a stock PyScript page on the runtime exactly as npm ships it (the
floor) and a plain-JS page (the no-Python baseline), in headless Chromium; times event
handling against the same handler in plain JS; loads the proxy against the sandbox; counts the
bytes of a cold load; shows where a warm load's time goes (the marks the pages record, from
PyScript's py:ready on). Prints a table with PASS/FAIL per target and writes
bench/results/latest.json and bench/results/README-table.md.

    bench/run.py        the run and its options (--quick for a smoke run)
    bench/stack.py      the servers, on free ports (bench/servers.py, one process each)
    bench/browser.py    page loads: time to chat, events ready, bytes (CDP)
    bench/events.py     event handling latency, timed inside the page
    bench/proxyload.py  link requests per second and added latency
    bench/report.py     targets, table, JSON
    bench/pages/        the stock floor, the plain-JS page and the plain-JS handler
"""
