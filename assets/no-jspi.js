// Only in `make dist CDN=1` pages (scripts/build_dist.py adds it before PyScript): keeps Pyodide
// off JSPI, with which Chromium's renderer crashes now and then (docs/renderer-crash.md). Pyodide
// uses JSPI when WebAssembly.Suspending exists; the vendored Pyodide is patched not to, the CDN's
// is not. This window only: the chat iframe has its own WebAssembly.
delete WebAssembly.Suspending;
