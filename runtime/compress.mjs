// Writes FILE.br (brotli, best quality) next to each FILE given, in parallel on libuv's threads.
// Usage: node compress.mjs FILE...   (Node's zlib has brotli; Python's stdlib does not.)
import { readFile, writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import zlib from "node:zlib";

const brotli = promisify(zlib.brotliCompress);
const { BROTLI_PARAM_QUALITY, BROTLI_PARAM_SIZE_HINT, BROTLI_PARAM_LGWIN, BROTLI_MAX_QUALITY } =
  zlib.constants;

await Promise.all(
  process.argv.slice(2).map(async (file) => {
    const data = await readFile(file);
    const params = {
      [BROTLI_PARAM_QUALITY]: BROTLI_MAX_QUALITY,
      [BROTLI_PARAM_SIZE_HINT]: data.length,
      [BROTLI_PARAM_LGWIN]: 24,
    };
    await writeFile(file + ".br", await brotli(data, { params }));
  }),
);
