// Gives every part of a split browser bundle one build id in its name, so each name stays
// bound to one content and can be cached for a year (scripts/build.sh, step "name the parts").
//
//   node scripts/name-parts.mjs <pkg folder> <bundle name>
//
// wasm-split leaves <name>.js (wasm-bindgen's loader of the frame), <name>.wasm (the frame),
// __wasm_split.js (the loader of the other parts) and one .wasm per area (split_*) or per
// set of areas sharing code (chunk_*), which refer to each other by plain names. The two
// scripts import each other, so no file can carry its own content hash; instead every file
// gets <stem>.<id>.<ext>, id = the first 16 hex digits of the SHA-256 of all of them, and
// the references are rewritten to match. It also writes __wasm_split_manifest.<id>.json,
// from which the server names, in a page's HTML, the parts of that page's area (preloaded
// with the bundle; app/src/ui/split.rs). Prints the id.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [pkg, name] = process.argv.slice(2);
if (!pkg || !name) {
    console.error("usage: name-parts.mjs <pkg folder> <bundle name>");
    process.exit(2);
}

const SPLIT_JS = "__wasm_split.js";
const parts = readdirSync(pkg).filter((f) => /^(chunk_\d+|split_\w+)\.wasm$/.test(f)).sort();
const files = [`${name}.js`, `${name}.wasm`, SPLIT_JS, ...parts];

const hash = createHash("sha256");
for (const f of files) {
    hash.update(f);
    hash.update(readFileSync(join(pkg, f)));
}
const id = hash.digest("hex").slice(0, 16);
const named = (file) => file.replace(/\.(js|wasm)$/, `.${id}.$1`);

/** Rewrites `<before>"./<file>"` references in script `file` to the files' new names. */
function rewrite(file, before, targets) {
    let text = readFileSync(join(pkg, file), "utf8");
    for (const t of targets) {
        const from = `${before}"./${t}"`;
        if (!text.includes(from)) throw new Error(`${file} does not refer to ${t}`);
        text = text.replaceAll(from, `${before}"./${named(t)}"`);
    }
    writeFileSync(join(pkg, file), text);
}

// Only the frame's `import ... from` lines: its imports object keeps the module name the
// WASM was linked against ("./__wasm_split.js").
rewrite(`${name}.js`, "from ", [SPLIT_JS]);
rewrite(SPLIT_JS, "", [`${name}.js`, ...parts]);

// Each area's loader: `export const __wasm_split_load_<area> = wrapAsyncCb(makeLoad(() => {
// ... "./split_<area>.wasm" ... }, [__chunk_6, ...]))`; a chunk's: `const __chunk_6 =
// makeLoad(() => { ... "./chunk_6.wasm" ... }, [])`. The manifest maps an area to the files
// its loader fetches: its chunks, then its own part.
const script = readFileSync(join(pkg, SPLIT_JS), "utf8");
const chunkFile = new Map(
    [...script.matchAll(/const (__chunk_\d+) = makeLoad\([^]*?"\.\/(chunk_\d+)\.[0-9a-f]{16}\.wasm"/g)].map((m) => [
        m[1],
        m[2],
    ]),
);
const manifest = {};
const areas = /export const __wasm_split_load_(\w+) = wrapAsyncCb\(makeLoad\([^]*?"\.\/(split_\w+)\.[0-9a-f]{16}\.wasm"[^]*?\}\s*,\s*\[([^\]]*)\]/g;
for (const [, area, part, deps] of script.matchAll(areas)) {
    const chunks = deps
        .split(",")
        .map((d) => d.trim())
        .filter(Boolean)
        .map((d) => {
            const file = chunkFile.get(d);
            if (!file) throw new Error(`${SPLIT_JS}: ${area} loads unknown ${d}`);
            return `${file}.${id}`;
        });
    manifest[area] = [...chunks, `${part}.${id}`];
}
const loaders = parts.filter((p) => p.startsWith("split_")).length;
if (Object.keys(manifest).length !== loaders) {
    throw new Error(`${SPLIT_JS}: found ${Object.keys(manifest).length} area loaders for ${loaders} area parts`);
}
writeFileSync(join(pkg, `__wasm_split_manifest.${id}.json`), JSON.stringify(manifest, null, 1));

for (const f of files) renameSync(join(pkg, f), join(pkg, named(f)));
console.log(id);
