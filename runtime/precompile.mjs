// Runs runtime/precompile.py inside Pyodide under Node, so bytecode is compiled by the very
// interpreter the browser runs. Usage (paths absolute):
//   node precompile.mjs NODE_MODULES [--load WHEEL]... [--app FILE]... [--extra MODULE]...
//        -- PRECOMPILE_ARGS...
// --load installs a wheel first; --app and --extra are traced (runtime/trace_imports.py)
// before anything else runs, to find the modules loaded at start.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const [nodeModules, ...rest] = process.argv.slice(2);
const split = rest.indexOf("--");
const options = { "--load": [], "--app": [], "--extra": [] };
for (let i = 0; i < split; i += 2) options[rest[i]].push(rest[i + 1]);
const host = (arg) => (path.isAbsolute(arg) ? "/host" + arg : arg);
const args = rest.slice(split + 1).map(host);

const require = createRequire(path.join(path.resolve(nodeModules), "noop.js"));
const { loadPyodide } = require("pyodide");
// Without the column ranges of every instruction (the ^^^ under a traceback's line): 5% less
// bytecode to unmarshal, and a fifth less to download (they compress poorly); tracebacks keep
// their line numbers.
const pyodide = await loadPyodide({ env: { PYTHONNODEBUGRANGES: "1" } });
if (options["--load"].length) {
  await pyodide.loadPackage(options["--load"], { messageCallback: () => {} });
}
pyodide.mountNodeFS("/host", "/");

function run(file) {
  const namespace = pyodide.globals.get("dict")();
  const source = readFileSync(new URL(file, import.meta.url), "utf8");
  pyodide.runPython(source, { globals: namespace, filename: file });
  return namespace;
}

let hot = pyodide.toPy({});
if (options["--app"].length || options["--extra"].length) {
  const trace = run("./trace_imports.py").get("trace");
  hot = trace(pyodide.toPy(options["--app"].map(host)), pyodide.toPy(options["--extra"]));
}
process.exit(run("./precompile.py").get("main")(pyodide.toPy(args), hot));
