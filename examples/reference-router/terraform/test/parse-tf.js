// Parses every .tf file of a Terraform module with HashiCorp's HCL parser (@cdktf/hcl2json, the
// Go hcl2json library compiled to WebAssembly) and writes one JSON document:
//   { "parser": "<version>", "files": { "main.tf": { <hcl2json output> }, ... } }
// Expressions come out as "${...}" strings. A syntax error in any file exits 1, naming it.
// Usage: node parse-tf.js <module dir> <output.json>
'use strict';
const fs = require('fs');
const path = require('path');
const { parse } = require('@cdktf/hcl2json');

async function main() {
  const [dir, out] = process.argv.slice(2);
  if (!dir || !out) {
    console.error('usage: node parse-tf.js <module dir> <output.json>');
    process.exit(2);
  }
  const names = fs.readdirSync(dir).filter((n) => n.endsWith('.tf')).sort();
  if (names.length === 0) {
    console.error(`no .tf files in ${path.resolve(dir)}`);
    process.exit(1);
  }
  const files = {};
  for (const name of names) {
    const text = fs.readFileSync(path.join(dir, name), 'utf8');
    try {
      files[name] = await parse(name, text);
    } catch (e) {
      console.error(`${name}: ${e && e.message ? e.message : e}`);
      process.exit(1);
    }
  }
  const version = require('@cdktf/hcl2json/package.json').version;
  fs.writeFileSync(out, JSON.stringify({ parser: version, files }, null, 2));
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
