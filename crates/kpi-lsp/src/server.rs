//! The server's state and its answers: documents in, diagnostics and replies out.
use crate::diagnostics::{self, ByFile};
use crate::index::{self, Occurrence, Symbol};
use crate::project::{self, Analysis, Configs, Scope};
use crate::text::{self, path_of, Lines};
use lsp_server::{ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{self as note, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::*;
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The answer to a request: a JSON result, or an error code and message.
pub type Reply = Result<serde_json::Value, (ErrorCode, String)>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Uninitialized,
    Running,
    ShutDown,
}

/// An open document.
struct Document {
    text: String,
}

/// The language server: open documents, the analyses of their scopes, diagnostics published.
pub struct Server {
    phase: Phase,
    roots: Vec<PathBuf>,
    /// A client config named in the client's settings (`kpi.config`).
    explicit_config: Option<PathBuf>,
    documents: BTreeMap<PathBuf, Document>,
    analyses: HashMap<Scope, Analysis>,
    published: BTreeMap<Url, Vec<lsp_types::Diagnostic>>,
    outbox: Vec<Message>,
    /// The exit code, once `exit` has come (0 after `shutdown`, else 1).
    pub exit: Option<i32>,
}

impl Default for Server {
    fn default() -> Server {
        Server {
            phase: Phase::Uninitialized,
            roots: Vec::new(),
            explicit_config: None,
            documents: BTreeMap::new(),
            analyses: HashMap::new(),
            published: BTreeMap::new(),
            outbox: Vec::new(),
            exit: None,
        }
    }
}

fn params<P: DeserializeOwned>(value: serde_json::Value) -> Result<P, (ErrorCode, String)> {
    serde_json::from_value(value).map_err(|e| (ErrorCode::InvalidParams, format!("invalid params: {e}")))
}

fn json(value: impl serde::Serialize) -> Reply {
    serde_json::to_value(value).map_err(|e| (ErrorCode::InternalError, e.to_string()))
}

impl Server {
    /// The messages to send, in order.
    pub fn take_outbox(&mut self) -> Vec<Message> {
        std::mem::take(&mut self.outbox)
    }

    /// Handle one message from the client.
    pub fn handle(&mut self, message: Message) {
        match message {
            Message::Request(request) => {
                let id = request.id.clone();
                let reply = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.request(request)))
                    .unwrap_or_else(|_| {
                        Err((ErrorCode::InternalError, "the server failed on this request".into()))
                    });
                self.outbox.push(Message::Response(match reply {
                    Ok(result) => Response { id, result: Some(result), error: None },
                    Err((code, message)) => Response::new_err(id, code as i32, message),
                }));
            }
            Message::Notification(n) => {
                // A notification has no reply: a failure is only logged.
                let method = n.method.clone();
                let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.notification(n)));
                match done {
                    Ok(Ok(())) => {}
                    Ok(Err((_, why))) => self.log(MessageType::WARNING, &format!("{method}: {why}")),
                    Err(_) => self.log(MessageType::ERROR, &format!("{method}: the server failed on it")),
                }
            }
            Message::Response(_) => {} // the server sends no requests
        }
    }

    fn log(&mut self, typ: MessageType, message: &str) {
        let params = LogMessageParams { typ, message: message.to_string() };
        self.outbox.push(Message::Notification(Notification::new(note::LogMessage::METHOD.into(), params)));
    }

    fn request(&mut self, request: Request) -> Reply {
        let Request { method, params: p, .. } = request;
        match (self.phase, method.as_str()) {
            (Phase::Uninitialized, req::Initialize::METHOD) => return self.initialize(params(p)?),
            (Phase::Uninitialized, _) => {
                return Err((ErrorCode::ServerNotInitialized, "the server is not initialized yet".into()))
            }
            (_, req::Initialize::METHOD) => {
                return Err((ErrorCode::InvalidRequest, "the server is already initialized".into()))
            }
            (Phase::ShutDown, _) => {
                return Err((ErrorCode::InvalidRequest, "the server is shut down".into()))
            }
            (Phase::Running, req::Shutdown::METHOD) => {
                self.phase = Phase::ShutDown;
                return Ok(serde_json::Value::Null);
            }
            _ => {}
        }
        match method.as_str() {
            req::HoverRequest::METHOD => self.hover(params(p)?),
            req::GotoDefinition::METHOD => self.definition(params(p)?),
            req::References::METHOD => self.references(params(p)?),
            req::Completion::METHOD => self.completion(params(p)?),
            req::Formatting::METHOD => self.formatting(params(p)?),
            req::PrepareRenameRequest::METHOD => self.prepare_rename(params(p)?),
            req::Rename::METHOD => self.rename(params(p)?),
            req::DocumentSymbolRequest::METHOD => self.document_symbols(params(p)?),
            _ => Err((ErrorCode::MethodNotFound, format!("kpi lsp does not answer `{method}`"))),
        }
    }

    fn notification(&mut self, n: Notification) -> Result<(), (ErrorCode, String)> {
        if n.method == note::Exit::METHOD {
            self.exit = Some(if self.phase == Phase::ShutDown { 0 } else { 1 });
            return Ok(());
        }
        if self.phase != Phase::Running {
            return Ok(());
        }
        match n.method.as_str() {
            note::DidOpenTextDocument::METHOD => {
                let p: DidOpenTextDocumentParams = params(n.params)?;
                self.open(&p.text_document.uri, p.text_document.text);
            }
            note::DidChangeTextDocument::METHOD => {
                let p: DidChangeTextDocumentParams = params(n.params)?;
                let Some(path) = path_of(&p.text_document.uri) else { return Ok(()) };
                let mut text = self.documents.get(&path).map(|d| d.text.clone()).unwrap_or_default();
                for change in p.content_changes {
                    apply_change(&mut text, change);
                }
                self.open(&p.text_document.uri, text);
            }
            note::DidCloseTextDocument::METHOD => {
                let p: DidCloseTextDocumentParams = params(n.params)?;
                if let Some(path) = path_of(&p.text_document.uri) {
                    self.documents.remove(&path);
                    self.refresh();
                }
            }
            note::DidSaveTextDocument::METHOD | note::DidChangeWatchedFiles::METHOD => self.refresh(),
            note::DidChangeConfiguration::METHOD => {
                let p: DidChangeConfigurationParams = params(n.params)?;
                self.settings(&p.settings);
                self.refresh();
            }
            _ => {}
        }
        Ok(())
    }

    fn initialize(&mut self, p: InitializeParams) -> Reply {
        #[allow(deprecated)] // root_uri: older clients send only it
        let mut roots: Vec<PathBuf> = p.root_uri.as_ref().and_then(path_of).into_iter().collect();
        for folder in p.workspace_folders.unwrap_or_default() {
            roots.extend(path_of(&folder.uri));
        }
        roots.dedup();
        self.roots = roots;
        if let Some(options) = &p.initialization_options {
            self.settings(options);
        }
        self.phase = Phase::Running;
        json(InitializeResult { capabilities: capabilities(), server_info: Some(server_info()) })
    }

    /// `{"config": "path"}` (or `{"kpi": {"config": ...}}`): the client config to use.
    fn settings(&mut self, settings: &serde_json::Value) {
        let settings = settings.get("kpi").unwrap_or(settings);
        let config = settings.get("config").and_then(|c| c.as_str()).filter(|c| !c.is_empty());
        self.explicit_config = config.map(|c| match (Path::new(c).is_absolute(), self.roots.first()) {
            (false, Some(root)) => root.join(c),
            _ => PathBuf::from(c),
        });
    }

    fn open(&mut self, uri: &Url, text: String) {
        let Some(path) = path_of(uri) else { return };
        self.documents.insert(path, Document { text });
        self.refresh();
    }

    /// The open client configs, by path.
    fn configs(&self) -> Configs {
        self.documents
            .iter()
            .filter(|(p, _)| p.extension().is_some_and(|e| e == "toml"))
            .map(|(p, d)| (p.clone(), d.text.clone()))
            .collect()
    }

    fn overlay(&self) -> kpi_driver::Overlay {
        self.documents
            .iter()
            .filter(|(p, _)| p.extension().is_some_and(|e| e == "kpi"))
            .map(|(p, d)| (p.clone(), d.text.clone()))
            .collect()
    }

    fn scope(&self, path: &Path) -> Scope {
        project::scope_of(path, &self.roots, self.explicit_config.as_deref(), &self.configs())
    }

    /// The analysis of the scope of `path`, checked now if it is not yet.
    pub(crate) fn analysis(&mut self, path: &Path) -> &Analysis {
        let scope = self.scope(path);
        if !self.analyses.contains_key(&scope) {
            let analysis = project::analyze(&scope, &self.overlay(), &self.configs());
            self.analyses.insert(scope.clone(), analysis);
        }
        &self.analyses[&scope]
    }

    /// Check the scope of every open rule file again and publish what changed: each open file's
    /// diagnostics from its own scope, other files' from every scope that read them.
    fn refresh(&mut self) {
        self.analyses.clear();
        let open: Vec<PathBuf> =
            self.documents.keys().filter(|p| p.extension().is_some_and(|e| e == "kpi")).cloned().collect();
        let mut own = ByFile::new();
        let mut others = ByFile::new();
        for path in &open {
            let all = diagnostics::by_file(self.analysis(path), path);
            for (file, diags) in all {
                if file == *path {
                    own.insert(file, diags);
                } else {
                    let merged = others.entry(file).or_default();
                    for d in diags {
                        if !merged.contains(&d) {
                            merged.push(d);
                        }
                    }
                }
            }
        }
        for (file, diags) in others {
            own.entry(file).or_insert(diags);
        }
        self.publish(own);
    }

    fn publish(&mut self, now: ByFile) {
        let mut next: BTreeMap<Url, Vec<lsp_types::Diagnostic>> = BTreeMap::new();
        for (path, diags) in now {
            if let Some(uri) = diagnostics::uri(&path) {
                next.insert(uri, diags);
            }
        }
        for uri in self.published.keys() {
            next.entry(uri.clone()).or_default();
        }
        for (uri, diags) in &next {
            if self.published.get(uri) == Some(diags) {
                continue;
            }
            let params =
                PublishDiagnosticsParams { uri: uri.clone(), diagnostics: diags.clone(), version: None };
            let n = Notification::new(note::PublishDiagnostics::METHOD.into(), params);
            self.outbox.push(Message::Notification(n));
        }
        self.published = next;
    }
}

/// Apply one change: the whole text (full sync, what the server asks for), or a range of it
/// (what some clients send anyway).
fn apply_change(text: &mut String, change: TextDocumentContentChangeEvent) {
    match change.range {
        None => *text = change.text,
        Some(range) => {
            let lines = Lines::new(text);
            let (start, end) = (lines.offset(range.start), lines.offset(range.end));
            let (start, end) = (start.min(end), end.max(start));
            text.replace_range(start..end, &change.text);
        }
    }
}

/// What the server can do.
fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::FULL),
            save: Some(TextDocumentSyncSaveOptions::Supported(true)),
            ..TextDocumentSyncOptions::default()
        })),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into()]),
            ..CompletionOptions::default()
        }),
        document_formatting_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        })),
        document_symbol_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    }
}

fn server_info() -> ServerInfo {
    ServerInfo { name: "kpi lsp".into(), version: Some(env!("CARGO_PKG_VERSION").into()) }
}

/// Where a request points: the file's path, its analysis and the occurrence there.
pub(crate) struct Target {
    pub path: PathBuf,
    pub offset: usize,
}

impl Server {
    pub(crate) fn target(&self, doc: &TextDocumentPositionParams) -> Result<Target, (ErrorCode, String)> {
        let path = path_of(&doc.text_document.uri).ok_or_else(|| {
            (ErrorCode::InvalidParams, format!("not a file URI: {}", doc.text_document.uri))
        })?;
        let text = self.text_of(&path).unwrap_or_default();
        let offset = Lines::new(&text).offset(doc.position);
        Ok(Target { path, offset })
    }

    /// The current text of a file: the open buffer, else the disk (bounded, as rule files are read).
    pub(crate) fn text_of(&self, path: &Path) -> Option<String> {
        if let Some(d) = self.documents.get(path) {
            return Some(d.text.clone());
        }
        let bytes = kpi_check::load::read_regular(path, kpi_check::load::MAX_FILE_BYTES).ok()?;
        String::from_utf8(bytes).ok()
    }

    /// The occurrence at a position, with the analysis it was found in.
    pub(crate) fn occurrence(
        &mut self,
        doc: &TextDocumentPositionParams,
    ) -> Result<Option<(Target, Occurrence)>, (ErrorCode, String)> {
        let target = self.target(doc)?;
        let analysis = self.analysis(&target.path);
        let Some(file) = analysis.file(&target.path) else { return Ok(None) };
        let occurrences = index::occurrences(analysis);
        Ok(index::at(&occurrences, file, target.offset).cloned().map(|o| (target, o)))
    }

    /// Every occurrence of `symbol` in the scope of `path`, as locations.
    pub(crate) fn locations(
        &mut self,
        path: &Path,
        symbol: &Symbol,
        declarations: bool,
    ) -> Vec<(Location, bool)> {
        let analysis = self.analysis(path);
        let occurrences = index::occurrences(analysis);
        let mut lines: BTreeMap<u32, Lines> = BTreeMap::new();
        let mut out = Vec::new();
        for o in occurrences.iter().filter(|o| o.symbol == *symbol && (declarations || !o.definition)) {
            let file_path = analysis.path(o.file);
            let Some(uri) = text::uri_of(&file_path) else { continue };
            let l = lines.entry(o.file.0).or_insert_with(|| Lines::new(analysis.text(o.file)));
            out.push((Location { uri, range: l.range(o.start as usize, o.end as usize) }, o.definition));
        }
        out
    }

    pub(crate) fn root(&self) -> Option<&Path> {
        self.roots.first().map(PathBuf::as_path)
    }
}
