// The KPI rules extension: starts `kpi lsp` (the path is the `kpi.path` setting) and connects
// VS Code to it. Highlighting comes from syntaxes/kpi.tmLanguage.json, without the server.
"use strict";
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function serverOptions() {
  const command = vscode.workspace.getConfiguration("kpi").get("path") || "kpi";
  const run = { command, args: ["lsp"], transport: TransportKind.stdio };
  return { run, debug: run };
}

function clientOptions() {
  return {
    documentSelector: [{ scheme: "file", language: "kpi" }],
    synchronize: {
      // Client configs, rhai scripts and rule files changed on disk are checked again.
      fileEvents: vscode.workspace.createFileSystemWatcher("**/*.{kpi,toml,rhai}"),
      configurationSection: "kpi",
    },
    initializationOptions: { config: vscode.workspace.getConfiguration("kpi").get("config") || "" },
    outputChannelName: "KPI rules",
  };
}

async function start() {
  client = new LanguageClient("kpi", "KPI rules", serverOptions(), clientOptions());
  try {
    await client.start();
  } catch (err) {
    const path = vscode.workspace.getConfiguration("kpi").get("path") || "kpi";
    vscode.window.showErrorMessage(
      `KPI rules: could not start \`${path} lsp\` (${err.message || err}). ` +
        "Install kpi (cargo install --path crates/kpi-cli) or set `kpi.path` to the kpi executable."
    );
  }
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("kpi.restartServer", async () => {
      if (client) await client.stop();
      await start();
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("kpi.path")) {
        if (client) await client.stop();
        await start();
      }
    })
  );
  await start();
}

async function deactivate() {
  if (client) await client.stop();
}

module.exports = { activate, deactivate };
