// Times HF tokenizers (Rust, npm "tokenizers") and transformers.js on docs.json with the same
// tokenizer.json, one core, and compares their ids with go_ids.json. Usage:
//   node bench.mjs MODEL_DIR WORK_DIR   (run.sh installs the packages and sets NODE_PATH)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const [modelDir, work] = process.argv.slice(2);
const require = createRequire(path.join(work, 'node_modules', 'x.js'));
const docs = JSON.parse(fs.readFileSync(path.join(work, 'docs.json'), 'utf8'));
const goIDs = JSON.parse(fs.readFileSync(path.join(work, 'go_ids.json'), 'utf8'));
const bytes = docs.reduce((n, d) => n + Buffer.byteLength(d, 'utf8'), 0);
const minMs = 3000;

function compare(name, all) {
  let bad = 0, first = -1;
  for (let i = 0; i < docs.length; i++) {
    const a = all[i], b = goIDs[i];
    if (a.length !== b.length || a.some((x, k) => x !== b[k])) { bad++; if (first < 0) first = i; }
  }
  console.log(`${name}: ids ${bad === 0 ? 'identical to Go' : `DIFFER in ${bad}/${docs.length} docs (first ${first})`}`);
}

async function timeIt(name, encodeAll) {
  const ids = await encodeAll(); // warm-up, and the ids to compare
  let passes = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  while (performance.now() - t0 < minMs || passes < 2) { await encodeAll(); passes++; }
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const cpuS = (c.user + c.system) / 1e6;
  console.log(`${name}: ${(bytes * passes / (ms / 1000) / 1e6).toFixed(2)} MB/s wall, ` +
    `${(bytes * passes / cpuS / 1e6).toFixed(2)} MB/s per CPU-second (${passes} passes)`);
  compare(name, ids);
}

// HF tokenizers (Rust via N-API). encode() is async and runs on the libuv pool; documents are
// awaited one at a time so one core works at a time. TOKENIZERS_PARALLELISM=false and
// RAYON_NUM_THREADS=1 (set by run.sh) keep encodeBatch on one thread too.
{
  const { Tokenizer } = require('tokenizers');
  const tok = Tokenizer.fromFile(path.join(modelDir, 'tokenizer.json'));
  await timeIt('rust tokenizers (npm tokenizers, per-doc encode)', async () => {
    const out = [];
    for (const d of docs) out.push(Array.from((await tok.encode(d, null, { addSpecialTokens: false })).getIds()));
    return out;
  });
  await timeIt('rust tokenizers (npm tokenizers, encodeBatch 1 thread)', async () => {
    const encs = await tok.encodeBatch(docs, { addSpecialTokens: false });
    return encs.map((e) => Array.from(e.getIds()));
  });
}

// Exact ids cross-check on short random strings (rare code points, whitespace, specials).
{
  const { Tokenizer } = require('tokenizers');
  const tok = Tokenizer.fromFile(path.join(modelDir, 'tokenizer.json'));
  const rnd = JSON.parse(fs.readFileSync(path.join(work, 'random.json'), 'utf8'));
  const want = JSON.parse(fs.readFileSync(path.join(work, 'go_random_ids.json'), 'utf8'));
  let bad = 0;
  for (let i = 0; i < rnd.length; i++) {
    const ids = Array.from((await tok.encode(rnd[i], null, { addSpecialTokens: false })).getIds());
    if (ids.length !== want[i].length || ids.some((x, k) => x !== want[i][k])) {
      if (bad++ < 5) console.log(`  differs: ${JSON.stringify(rnd[i])} rust ${JSON.stringify(ids)} go ${JSON.stringify(want[i])}`);
    }
  }
  console.log(`random strings: rust tokenizers vs Go ids ${bad === 0 ? 'identical' : 'DIFFER'} (${rnd.length - bad}/${rnd.length})`);
}

// transformers.js (pure JS).
{
  let mod;
  try {
    mod = await import(require.resolve('@huggingface/transformers'));
  } catch (e) {
    console.log(`transformers.js: could not load (${e.message.split('\n')[0]})`);
  }
  if (mod) {
    const { PreTrainedTokenizer } = mod;
    const tj = JSON.parse(fs.readFileSync(path.join(modelDir, 'tokenizer.json'), 'utf8'));
    const tc = JSON.parse(fs.readFileSync(path.join(modelDir, 'tokenizer_config.json'), 'utf8'));
    const tok = new PreTrainedTokenizer(tj, tc);
    await timeIt('transformers.js (@huggingface/transformers)', async () => docs.map((d) => tok.encode(d, { add_special_tokens: false })));
  }
}
