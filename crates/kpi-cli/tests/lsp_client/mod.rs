//! A small JSON-RPC client that drives the real `kpi lsp` binary over its stdin and stdout.
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

pub struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    messages: Receiver<Value>,
    /// Notifications received while waiting for something else.
    pub notifications: Vec<Value>,
    next_id: i64,
}

pub fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The repository root.
pub fn repo() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repo root")
}

impl Client {
    /// Start `kpi lsp` without initializing it.
    pub fn spawn() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kpi"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start kpi lsp");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Client { child, stdin, messages: rx, notifications: Vec::new(), next_id: 1 }
    }

    /// Start `kpi lsp` and initialize it with `root` as the workspace folder.
    pub fn start(root: &Path) -> Client {
        let mut client = Client::spawn();
        let init = client.request("initialize", json!({ "rootUri": uri(root), "capabilities": {} }));
        assert!(init["result"]["capabilities"]["hoverProvider"].as_bool().unwrap_or(false), "{init}");
        client.notify("initialized", json!({}));
        client
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).expect("write");
        stdin.flush().expect("flush");
    }

    pub fn send(&mut self, message: Value) {
        let text = message.to_string();
        self.send_raw(format!("Content-Length: {}\r\n\r\n{text}", text.len()).as_bytes());
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Send a request and wait for its response (the whole message: `result` or `error`).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.response(&json!(id))
    }

    /// The next message that answers `id`.
    pub fn response(&mut self, id: &Value) -> Value {
        loop {
            let message = self.messages.recv_timeout(TIMEOUT).expect("a response from kpi lsp");
            if message.get("method").is_some() && message.get("id").is_none() {
                self.notifications.push(message);
            } else if message["id"] == *id {
                return message;
            }
        }
    }

    /// The result of a request, which must not be an error.
    pub fn result(&mut self, method: &str, params: Value) -> Value {
        let response = self.request(method, params);
        assert!(response.get("error").is_none(), "{method} failed: {response}");
        response["result"].clone()
    }

    /// The diagnostics most recently published for `uri`, waiting for a first publication.
    pub fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        // Round-trip a request so every notification sent before it has arrived.
        self.request("kpi-test/sync", json!(null));
        let published = self
            .notifications
            .iter()
            .rev()
            .find(|n| n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri)
            .unwrap_or_else(|| panic!("no diagnostics published for {uri}: {:?}", self.notifications));
        published["params"]["diagnostics"].as_array().cloned().unwrap_or_default()
    }

    pub fn open(&mut self, path: &Path, text: &str) {
        let params =
            json!({ "textDocument": { "uri": uri(path), "languageId": "kpi", "version": 1, "text": text } });
        self.notify("textDocument/didOpen", params);
    }

    pub fn change(&mut self, path: &Path, version: i64, text: &str) {
        let params = json!({
            "textDocument": { "uri": uri(path), "version": version },
            "contentChanges": [{ "text": text }],
        });
        self.notify("textDocument/didChange", params);
    }

    /// `shutdown` then `exit`: the exit code.
    pub fn shutdown(mut self) -> i32 {
        let response = self.request("shutdown", json!(null));
        assert!(response.get("error").is_none(), "{response}");
        self.notify("exit", json!(null));
        self.wait()
    }

    pub fn wait(mut self) -> i32 {
        drop(self.stdin.take());
        for _ in 0..600 {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code().unwrap_or(-1);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        panic!("kpi lsp did not exit");
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// The position (0-based line, UTF-16 column) of the `nth` occurrence of `needle` in `text`,
/// plus `shift` characters.
pub fn position(text: &str, needle: &str, nth: usize, shift: usize) -> Value {
    let offset =
        text.match_indices(needle).nth(nth).unwrap_or_else(|| panic!("`{needle}` #{nth} in text")).0 + shift;
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let column = before[before.rfind('\n').map_or(0, |i| i + 1)..].encode_utf16().count();
    json!({ "line": line, "character": column })
}

pub fn at(path: &Path, position: Value) -> Value {
    json!({ "textDocument": { "uri": uri(path) }, "position": position })
}
