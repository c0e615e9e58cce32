#!/usr/bin/env node
// The peer for tplr's GPT-2 tokenizer: tiktoken's "gpt2" encoding (npm
// tiktoken, pinned by package-lock.json beside this file).
//   node tiktoken_ids.js INPUT OUTPUT        ids of INPUT's text, as "id id ...\n"
//   node tiktoken_ids.js --bench INPUT N     best of N timed encode calls, one JSON line
//   node tiktoken_ids.js --vocab DIR INPUT OUTPUT
//                                            the same with DIR's encoder.json + vocab.bpe, read by
//                                            tiktoken's own GPT-2-format reader (load.cjs), which
//                                            refuses files whose ids are not 256 + merge rank
//   node tiktoken_ids.js --codepoints OUTPUT  writes a text that puts every code point of planes
//                                            0-3 and 14-16 (surrogates excepted) between letters,
//                                            digits, punctuation and spaces, to check the classes
// INPUT is read as UTF-8; special-token strings are encoded as ordinary text.
"use strict";
const fs = require("fs");
const path = require("path");

let tiktoken;
try {
  tiktoken = require(path.join(__dirname, "node_modules", "tiktoken"));
} catch (e) {
  console.error(`tiktoken is not installed in ${__dirname}/node_modules: run scripts/fetch_gpt2.sh (${e.message})`);
  process.exit(2);
}

async function main(args) {
if (args[0] === "--codepoints" && args.length === 2) {
  const parts = [];
  for (let cp = 0x80; cp <= 0x10ffff; cp++) {
    if ((cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x40000 && cp < 0xe0000))
      continue;
    const c = String.fromCodePoint(cp);
    parts.push(`a${c}1${c}!${c} ${c}\n`);
  }
  fs.writeFileSync(args[1], parts.join(""));
  return;
}
if (args[0] === "--vocab" && args.length === 4) {
  const {load} = require(path.join(__dirname, "node_modules", "tiktoken", "load.cjs"));
  const gpt2 = require(path.join(__dirname, "node_modules", "tiktoken", "registry.json")).gpt2;
  const reg = {...gpt2, data_gym_to_mergeable_bpe_ranks: {vocab_bpe_file: path.join(args[1], "vocab.bpe"),
                                                           encoder_json_file: path.join(args[1], "encoder.json")}};
  const model = await load(reg, async (file) => fs.readFileSync(file, "utf8"));
  const eos = Object.keys(JSON.parse(fs.readFileSync(path.join(args[1], "encoder.json"), "utf8"))).length - 1;
  const enc = new tiktoken.Tiktoken(model.bpe_ranks, {"<|endoftext|>": eos}, model.pat_str);
  const ids = enc.encode_ordinary(fs.readFileSync(args[2], "utf8"));
  fs.writeFileSync(args[3], Array.from(ids).join(" ") + "\n");
  enc.free();
  return;
}
const enc = tiktoken.get_encoding("gpt2");
if (args[0] === "--bench" && args.length === 3) {
  const bytes = fs.readFileSync(args[1]);
  const text = bytes.toString("utf8");
  const rounds = parseInt(args[2], 10);
  let best = Infinity, tokens = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    tokens = enc.encode_ordinary(text).length;
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (s < best) best = s;
  }
  const version = require(path.join(__dirname, "node_modules", "tiktoken", "package.json")).version;
  console.log(JSON.stringify({bench: "tokenizer_encode", impl: "tiktoken", version: version, node: process.version,
                              bytes: bytes.length, tokens: tokens, seconds: +best.toFixed(4),
                              mb_s: +(bytes.length / best / 1e6).toFixed(2)}));
} else if (args.length === 2) {
  const ids = enc.encode_ordinary(fs.readFileSync(args[0], "utf8"));
  fs.writeFileSync(args[1], Array.from(ids).join(" ") + "\n");
} else {
  console.error("usage: tiktoken_ids.js INPUT OUTPUT | --bench INPUT ROUNDS | --vocab DIR INPUT OUTPUT");
  process.exit(2);
}
enc.free();
}

main(process.argv.slice(2)).catch((e) => {
  console.error(`tiktoken_ids.js: ${e.message}`);
  process.exit(1);
});
