// Every token of the standard rules (rules/*.kpi) and the worked client (examples/**/*.kpi) gets a
// scope of its own from the grammar: nothing is left as plain `source.kpi`.
const fs = require("fs");
const path = require("path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const here = __dirname;
const repo = path.resolve(here, "../../..");
const grammarPath = path.resolve(here, "../syntaxes/kpi.tmLanguage.json");

async function main() {
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer;
  await oniguruma.loadWASM(wasm);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName) => {
      if (scopeName !== "source.kpi") return null;
      return vsctm.parseRawGrammar(fs.readFileSync(grammarPath, "utf8"), grammarPath);
    },
  });
  const grammar = await registry.loadGrammar("source.kpi");
  const files = kpiFiles(path.join(repo, "rules")).concat(kpiFiles(path.join(repo, "examples")));
  if (files.length === 0) throw new Error(`no .kpi files under ${repo}/rules`);
  let tokens = 0;
  const bare = [];
  for (const file of files) {
    let state = vsctm.INITIAL;
    fs.readFileSync(file, "utf8").split(/\r?\n/).forEach((line, i) => {
      const result = grammar.tokenizeLine(line, state);
      for (const token of result.tokens) {
        const text = line.slice(token.startIndex, token.endIndex);
        if (text.trim() === "") continue;
        tokens++;
        // A token whose only scopes are the file's own is unscoped.
        if (token.scopes.every((s) => s === "source.kpi" || s.startsWith("meta."))) {
          bare.push(`${path.relative(repo, file)}:${i + 1}:${token.startIndex + 1}: \`${text}\``);
        }
      }
      state = result.ruleStack;
    });
  }
  if (bare.length > 0) {
    console.error(`${bare.length} of ${tokens} tokens have no scope:\n  ${bare.join("\n  ")}`);
    console.log(`0 passed, 1 failed`);
    process.exit(1);
  }
  console.log(`every token scoped: ${tokens} tokens in ${files.length} files`);
}

function kpiFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return kpiFiles(p);
      return e.name.endsWith(".kpi") ? [p] : [];
    })
    .sort();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
