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
// the references are rewritten to match. Each area's files also go into one pack
// (pack_<area>.<id>.pack), which the loader fetches instead of the files one by one, and
// __wasm_split_manifest.<id>.json names each area's pack, which the server names in the
// HTML of that area's pages (preloaded with the bundle; app/src/ui/split.rs). Prints the id.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [pkg, name] = process.argv.slice(2);
if (!pkg || !name) {
    console.error("usage: name-parts.mjs <pkg folder> <bundle name>");
    process.exit(2);
}

const SPLIT_JS = "__wasm_split.js";

// What the loader gains (see packedLoader): open packs by URL, each a promise of its files.
const PACK_HELPERS = `
const openPacks = new Map();
function withPack(url, load) {
    return () => {
        if (!openPacks.has(url)) {
            const files = fetch(new URL(url, import.meta.url)).then((r) => {
                if (!r.ok) throw new Error(url + " answered " + r.status);
                return r.arrayBuffer();
            }).then(readPack);
            files.catch(() => openPacks.delete(url));
            openPacks.set(url, files);
        }
        return load();
    };
}
function readPack(buffer) {
    const view = new DataView(buffer);
    const names = new TextDecoder();
    const files = new Map();
    let at = 4;
    const heads = [];
    for (let i = view.getUint32(0, true); i > 0; i--) {
        const length = view.getUint32(at, true);
        const name = names.decode(new Uint8Array(buffer, at + 4, length));
        heads.push([name, view.getUint32(at + 4 + length, true)]);
        at += 8 + length;
    }
    for (const [name, size] of heads) {
        files.set(name, new Uint8Array(buffer, at, size));
        at += size;
    }
    return files;
}
async function partSource(file) {
    for (const files of [...openPacks.values()]) {
        const found = await files.then(
            (f) => {
                const bytes = f.get(file);
                f.delete(file);
                return bytes;
            },
            () => undefined,
        );
        if (found) return found;
    }
    const r = await fetch(new URL("./" + file, import.meta.url));
    if (!r.ok) throw new Error(file + " answered " + r.status);
    return r.arrayBuffer();
}
async function instantiatePart(src, imports) {
    return WebAssembly.instantiate(await src, imports);
}`;
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
// One pack per area: its files in one, so brotli finds what they share (a third less than
// the ~100 files sent one by one). Format: u32 count, then per file u32 name length, the
// name (UTF-8), u32 byte length; then the files' bytes in that order (little-endian).
const packs = {};
for (const [area, parts] of Object.entries(manifest)) {
    const names = parts.map((p) => `${p}.wasm`);
    const bodies = names.map((n) => readFileSync(join(pkg, n.replace(`.${id}.wasm`, ".wasm"))));
    const head = [u32(names.length)];
    names.forEach((n, i) => head.push(u32(Buffer.byteLength(n)), Buffer.from(n), u32(bodies[i].length)));
    const pack = `pack_${area}.${id}.pack`;
    writeFileSync(join(pkg, pack), Buffer.concat([...head, ...bodies]));
    packs[area] = pack;
}
writeFileSync(join(pkg, SPLIT_JS), packedLoader(readFileSync(join(pkg, SPLIT_JS), "utf8"), packs));
writeFileSync(join(pkg, `__wasm_split_manifest.${id}.json`), JSON.stringify(packs, null, 1));

for (const f of files) renameSync(join(pkg, f), join(pkg, named(f)));
console.log(id);

function u32(n) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
}

/**
 * The loader, changed to take an area's files from its pack: loading an area first opens its
 * pack, and every part is read from an open pack that holds it, else fetched on its own (a
 * pack that failed to arrive, or a part no open pack holds).
 */
function packedLoader(script, packs) {
    const fetches = /fetch\(new URL\("\.\/([\w.]+\.wasm)", import\.meta\.url\)\)/g;
    const wanted = (script.match(fetches) ?? []).length;
    if (wanted !== parts.length) throw new Error(`${SPLIT_JS}: ${wanted} part fetches for ${parts.length} parts`);
    let text = script.replace(fetches, 'partSource("$1")');
    const streams = (text.match(/WebAssembly\.instantiateStreaming\(src, imports\)/g) ?? []).length;
    if (streams !== parts.length) throw new Error(`${SPLIT_JS}: ${streams} instantiations for ${parts.length} parts`);
    text = text.replaceAll("WebAssembly.instantiateStreaming(src, imports)", "instantiatePart(src, imports)");
    for (const [area, pack] of Object.entries(packs)) {
        const from = `export const __wasm_split_load_${area} = wrapAsyncCb(makeLoad(`;
        const start = text.indexOf(from);
        const end = text.indexOf("]))", start);
        if (start < 0 || end < 0) throw new Error(`${SPLIT_JS}: no loader for ${area}`);
        text =
            text.slice(0, start) +
            `export const __wasm_split_load_${area} = wrapAsyncCb(withPack("./${pack}", makeLoad(` +
            text.slice(start + from.length, end) +
            "])))" +
            text.slice(end + 3);
    }
    const [first, ...rest] = text.split("\n");
    if (!first.startsWith("import ")) throw new Error(`${SPLIT_JS} does not start with its import`);
    return [first, PACK_HELPERS, ...rest].join("\n");
}
