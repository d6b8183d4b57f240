// The client without VS Code: `vscode` and the language client are stand-ins, so this checks what
// extension.js asks for: `kpi.path` then `lsp` over stdio, for .kpi files, with `kpi.config`.
const assert = require("assert");
const Module = require("module");

const settings = { path: "/opt/kpi/bin/kpi", config: "clients/acme.toml" };
const started = [];
const commands = {};
const vscode = {
  workspace: {
    getConfiguration: (section) => {
      assert.strictEqual(section, "kpi");
      return { get: (key) => settings[key] };
    },
    createFileSystemWatcher: (glob) => ({ glob }),
    onDidChangeConfiguration: () => ({ dispose() {} }),
  },
  window: { showErrorMessage: (message) => started.push({ error: message }) },
  commands: { registerCommand: (name, fn) => ((commands[name] = fn), { dispose() {} }) },
};
class LanguageClient {
  constructor(id, name, server, client) {
    Object.assign(this, { id, name, server, client });
  }
  async start() {
    started.push(this);
    if (this.server.run.command === "missing-kpi") throw new Error("spawn missing-kpi ENOENT");
  }
  async stop() {}
}
const stubs = { vscode, "vscode-languageclient/node": { LanguageClient, TransportKind: { stdio: 0 } } };
const load = Module._load;
Module._load = function (request, ...rest) {
  return request in stubs ? stubs[request] : load.call(this, request, ...rest);
};

(async () => {
  const extension = require("../extension.js");
  const context = { subscriptions: [] };
  await extension.activate(context);
  const client = started[0];
  assert.deepStrictEqual(client.server.run, { command: "/opt/kpi/bin/kpi", args: ["lsp"], transport: 0 });
  assert.deepStrictEqual(client.client.documentSelector, [{ scheme: "file", language: "kpi" }]);
  assert.deepStrictEqual(client.client.initializationOptions, { config: "clients/acme.toml" });
  assert.strictEqual(client.client.synchronize.fileEvents.glob, "**/*.{kpi,toml,rhai}");
  assert.ok(commands["kpi.restartServer"], "a restart command");

  // A kpi that cannot be started: a message that says what to set, no exception.
  settings.path = "missing-kpi";
  await commands["kpi.restartServer"]();
  const error = started.find((s) => s.error);
  assert.ok(error && error.error.includes("kpi.path"), JSON.stringify(error));
  await extension.deactivate();
  console.log("extension client: 1 passed, 0 failed");
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
