//! Positions: byte offsets of the rule files against the protocol's lines and UTF-16 columns,
//! and file paths against `file://` URIs.
use lsp_types::{Position, Range, Url};
use std::path::{Path, PathBuf};

/// The line starts of a text, to turn byte offsets into positions and back.
pub struct Lines<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> Lines<'t> {
    pub fn new(text: &'t str) -> Lines<'t> {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Lines { text, starts }
    }

    /// The position of a byte offset (clamped into the text, moved back to a character boundary).
    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset).saturating_sub(1);
        let character = self.text[self.starts[line]..offset].encode_utf16().count();
        Position::new(line as u32, character as u32)
    }

    pub fn range(&self, start: usize, end: usize) -> Range {
        Range::new(self.position(start), self.position(end.max(start)))
    }

    /// The byte offset of a position (a line past the end is the end; a column past the line's
    /// end is the line's end).
    pub fn offset(&self, position: Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else { return self.text.len() };
        let end = self.starts.get(position.line as usize + 1).map_or(self.text.len(), |&e| e - 1);
        let mut units = 0;
        for (i, c) in self.text[start..end].char_indices() {
            if units >= position.character as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        end
    }

    /// The end of the text.
    pub fn end(&self) -> Position {
        self.position(self.text.len())
    }
}

/// The path of a `file://` URI.
pub fn path_of(uri: &Url) -> Option<PathBuf> {
    if uri.scheme() != "file" {
        return None;
    }
    uri.to_file_path().ok()
}

/// The URI of a path (made absolute against the current directory if it is not).
pub fn uri_of(path: &Path) -> Option<Url> {
    let absolute =
        if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir().ok()?.join(path) };
    Url::from_file_path(absolute).ok()
}

/// `a/b/../c` -> `a/c`, without touching the file system (as the rule loader names files).
pub fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out.iter().collect()
}

/// Is `word` a name the language accepts for a KPI or a param (and not a keyword)?
pub fn is_identifier(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && kpi_syntax::Keyword::from_word(word).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_round_trip() {
        let text = "a\n€x𝄞y\nlast";
        let lines = Lines::new(text);
        let y = text.find('y').unwrap();
        assert_eq!(lines.position(y), Position::new(1, 4));
        assert_eq!(lines.offset(Position::new(1, 4)), y);
        assert_eq!(lines.offset(Position::new(1, 99)), text.find("\nlast").unwrap());
        assert_eq!(lines.offset(Position::new(9, 0)), text.len());
        assert_eq!(lines.position(text.len() + 5), Position::new(2, 4));
        // Inside a multi-byte character: the character's start.
        assert_eq!(lines.position(text.find('€').unwrap() + 1), Position::new(1, 0));
    }

    #[test]
    fn identifiers() {
        assert!(is_identifier("mttr_target"));
        assert!(!is_identifier("kpi"));
        assert!(!is_identifier("9lives"));
        assert!(!is_identifier("a-b"));
        assert!(!is_identifier(""));
    }
}
