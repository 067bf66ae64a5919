// Measures how HF tokenizers' pre-tokenizer classifies every code point: each X is
// pre-tokenized as "!X!" and the piece boundaries give its regex class (letter: "!X" "!";
// number or non-ASCII-space whitespace: "!" "X" "!"; other: "!X!"; space: "!" " !").
// Writes one byte per code point (L, N, O, S; x = surrogate) for main.go -classes to compare.
// Usage: node classes.mjs TOKENIZER_JSON WORK_DIR OUT_FILE
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const [tokenizerJSON, work, outFile] = process.argv.slice(2);
const require = createRequire(path.join(work, 'node_modules', 'x.js'));
const { Tokenizer } = require('tokenizers');
const pt = Tokenizer.fromFile(tokenizerJSON).getPreTokenizer();
const sig = { '0,2;2,3': 'L', '0,1;1,2;2,3': 'N', '0,3': 'O', '0,1;1,3': 'S' };
const out = Buffer.alloc(0x110000, 'x');
for (let cp = 0; cp < 0x110000; cp++) {
  if (cp >= 0xd800 && cp <= 0xdfff) continue;
  const p = pt.preTokenizeString('!' + String.fromCodePoint(cp) + '!').map((x) => x[1].join(',')).join(';');
  out[cp] = (sig[p] || '?').charCodeAt(0);
}
fs.writeFileSync(outFile, out);
