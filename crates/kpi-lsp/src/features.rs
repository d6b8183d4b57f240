//! The requests about a place in a file: hover, definition, references, completion, formatting,
//! rename, document symbols.
use crate::index::Symbol;
use crate::server::{Reply, Server};
use crate::text::{self, is_identifier, path_of, Lines};
use lsp_server::ErrorCode;
use lsp_types::*;
use std::collections::HashMap;

impl Server {
    pub(crate) fn hover(&mut self, p: HoverParams) -> Reply {
        let Some((target, occurrence)) = self.occurrence(&p.text_document_position_params)? else {
            return Ok(serde_json::Value::Null);
        };
        let root = self.root().map(|r| r.to_path_buf());
        let analysis = self.analysis(&target.path);
        let Some(markdown) = crate::hover::hover(analysis, &occurrence.symbol, root.as_deref()) else {
            return Ok(serde_json::Value::Null);
        };
        let lines = Lines::new(analysis.text(occurrence.file));
        let hover = Hover {
            contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: markdown }),
            range: Some(lines.range(occurrence.start as usize, occurrence.end as usize)),
        };
        Ok(serde_json::to_value(hover).unwrap_or_default())
    }

    pub(crate) fn definition(&mut self, p: GotoDefinitionParams) -> Reply {
        let Some((target, occurrence)) = self.occurrence(&p.text_document_position_params)? else {
            return Ok(serde_json::Value::Null);
        };
        let locations: Vec<Location> = match &occurrence.symbol {
            Symbol::Import(path) | Symbol::Script(path) => {
                text::uri_of(path).map(|uri| Location { uri, range: Range::default() }).into_iter().collect()
            }
            symbol => self
                .locations(&target.path, symbol, true)
                .into_iter()
                .filter_map(|(location, definition)| definition.then_some(location))
                .collect(),
        };
        if locations.is_empty() {
            return Ok(serde_json::Value::Null);
        }
        Ok(serde_json::to_value(GotoDefinitionResponse::Array(locations)).unwrap_or_default())
    }

    pub(crate) fn references(&mut self, p: ReferenceParams) -> Reply {
        let Some((target, occurrence)) = self.occurrence(&p.text_document_position)? else {
            return Ok(serde_json::Value::Null);
        };
        let locations: Vec<Location> = self
            .locations(&target.path, &occurrence.symbol, p.context.include_declaration)
            .into_iter()
            .map(|(l, _)| l)
            .collect();
        Ok(serde_json::to_value(locations).unwrap_or_default())
    }

    pub(crate) fn completion(&mut self, p: CompletionParams) -> Reply {
        let target = self.target(&p.text_document_position)?;
        let text = self.text_of(&target.path).unwrap_or_default();
        let analysis = self.analysis(&target.path);
        let module = analysis.file(&target.path).and_then(|f| analysis.module(f));
        let items = crate::complete::complete(analysis, module, &text, target.offset);
        Ok(serde_json::to_value(CompletionResponse::Array(items)).unwrap_or_default())
    }

    pub(crate) fn formatting(&mut self, p: DocumentFormattingParams) -> Reply {
        let path = path_of(&p.text_document.uri).ok_or_else(|| not_a_file(&p.text_document.uri))?;
        let Some(text) = self.text_of(&path) else { return Ok(serde_json::Value::Null) };
        match kpi_syntax::format::format(kpi_syntax::FileId(0), &text) {
            Ok(formatted) if formatted == text => Ok(serde_json::json!([])),
            Ok(formatted) => {
                let lines = Lines::new(&text);
                let edit =
                    TextEdit { range: Range::new(Position::new(0, 0), lines.end()), new_text: formatted };
                Ok(serde_json::to_value(vec![edit]).unwrap_or_default())
            }
            // Like `kpi fmt`: a file with syntax errors is left as it is (they are diagnostics).
            Err(kpi_syntax::format::FormatError::Syntax(_)) => Ok(serde_json::Value::Null),
            Err(e) => Err((ErrorCode::RequestFailed, e.to_string())),
        }
    }

    pub(crate) fn prepare_rename(&mut self, p: TextDocumentPositionParams) -> Reply {
        let Some((target, occurrence)) = self.occurrence(&p)? else {
            return Err(cannot_rename());
        };
        let name = match &occurrence.symbol {
            Symbol::Kpi(name) | Symbol::Param(name) => name.clone(),
            _ => return Err(cannot_rename()),
        };
        let analysis = self.analysis(&target.path);
        let range = Lines::new(analysis.text(occurrence.file))
            .range(occurrence.start as usize, occurrence.end as usize);
        Ok(serde_json::to_value(PrepareRenameResponse::RangeWithPlaceholder { range, placeholder: name })
            .unwrap_or_default())
    }

    pub(crate) fn rename(&mut self, p: RenameParams) -> Reply {
        let Some((target, occurrence)) = self.occurrence(&p.text_document_position)? else {
            return Err(cannot_rename());
        };
        let new_name = p.new_name.trim();
        if !is_identifier(new_name) {
            let why = format!("`{new_name}` is not a name: use letters, digits and `_`, not a keyword");
            return Err((ErrorCode::InvalidParams, why));
        }
        let renamed = match &occurrence.symbol {
            Symbol::Kpi(_) => Symbol::Kpi(new_name.to_string()),
            Symbol::Param(_) => Symbol::Param(new_name.to_string()),
            _ => return Err(cannot_rename()),
        };
        if !self.locations(&target.path, &renamed, true).is_empty() {
            return Err((
                ErrorCode::RequestFailed,
                format!("`{new_name}` is already defined in these rules"),
            ));
        }
        let mut changes: HashMap<Url, Vec<TextEdit>> = HashMap::new();
        for (location, _) in self.locations(&target.path, &occurrence.symbol, true) {
            let edit = TextEdit { range: location.range, new_text: new_name.to_string() };
            changes.entry(location.uri).or_default().push(edit);
        }
        // The client config's keys that name it: `[params] name = ...`, `[scorecards.card.kpi]`.
        if let Some(config) = &self.analysis(&target.path).config {
            let lines = Lines::new(&config.text);
            let edits: Vec<TextEdit> = crate::config_keys::key_ranges(&config.text, &occurrence.symbol)
                .into_iter()
                .map(|r| TextEdit { range: lines.range(r.start, r.end), new_text: new_name.to_string() })
                .collect();
            if let (false, Some(uri)) = (edits.is_empty(), text::uri_of(&config.path)) {
                changes.entry(uri).or_default().extend(edits);
            }
        }
        Ok(serde_json::to_value(WorkspaceEdit { changes: Some(changes), ..WorkspaceEdit::default() })
            .unwrap_or_default())
    }

    pub(crate) fn document_symbols(&mut self, p: DocumentSymbolParams) -> Reply {
        let path = path_of(&p.text_document.uri).ok_or_else(|| not_a_file(&p.text_document.uri))?;
        let analysis = self.analysis(&path);
        let symbols = match analysis.file(&path) {
            Some(file) => match analysis.module(file) {
                Some(module) => crate::symbols::outline(module, analysis.text(file)),
                None => Vec::new(),
            },
            None => Vec::new(),
        };
        Ok(serde_json::to_value(DocumentSymbolResponse::Nested(symbols)).unwrap_or_default())
    }
}

fn not_a_file(uri: &Url) -> (ErrorCode, String) {
    (ErrorCode::InvalidParams, format!("not a file URI: {uri}"))
}

fn cannot_rename() -> (ErrorCode, String) {
    (ErrorCode::RequestFailed, "only a KPI or a param can be renamed: put the cursor on its name".into())
}
