//! Load errors and warnings, each pointing at file:line:column.
use std::fmt;

/// How many errors a failed load lists; the rest are counted.
pub const ERROR_CAP: usize = 50;

/// One problem that stops a load: a bad value, a missing column, a duplicate id, an unreadable file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    /// The file name inside the dataset directory.
    pub file: String,
    /// 1-based line where the record starts; `None` for the whole file.
    pub line: Option<usize>,
    /// 1-based field position in the record.
    pub column: Option<usize>,
    /// The header name of that field.
    pub header: Option<String>,
    pub message: String,
    /// The error concerns one row only, which `skip_bad_rows` may leave out.
    pub row_level: bool,
}

impl DataError {
    pub(crate) fn file(file: &str, message: impl Into<String>) -> DataError {
        DataError {
            file: file.to_string(),
            line: None,
            column: None,
            header: None,
            message: message.into(),
            row_level: false,
        }
    }

    pub(crate) fn at(file: &str, line: usize, message: impl Into<String>) -> DataError {
        DataError { line: Some(line), ..DataError::file(file, message) }
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": error: ")?;
        if let Some(h) = &self.header {
            write!(f, "column `{h}`: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Every error of a failed load: the first [`ERROR_CAP`] and a count of the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadErrors {
    pub errors: Vec<DataError>,
    /// Errors found but not listed.
    pub more: usize,
    /// How many of the `more` errors concern a whole file (not one row).
    pub more_file_level: usize,
}

impl LoadErrors {
    pub(crate) fn push(&mut self, e: DataError) {
        if self.errors.len() < ERROR_CAP {
            self.errors.push(e);
        } else {
            self.more += 1;
            self.more_file_level += usize::from(!e.row_level);
        }
    }

    /// Whether every error concerns one row only: then `skip_bad_rows` would leave the rows out
    /// and load the rest. A file-level error (a missing table or column, a bad header, invalid
    /// UTF-8) fails the load whatever that option says.
    pub fn row_level(&self) -> bool {
        self.more_file_level == 0 && self.errors.iter().all(|e| e.row_level)
    }

    /// Total number of errors found.
    pub fn count(&self) -> usize {
        self.errors.len() + self.more
    }

    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }
}

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        if self.more > 0 {
            write!(f, "\n... and {}", count(self.more, "more error"))?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadErrors {}

/// `n` and `what`, with an `s` unless `n` is 1: "1 more error", "3 more errors".
pub(crate) fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("{n} {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// Suspicious but usable data: the row is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataWarning {
    pub file: String,
    /// 1-based line; 0 when the warning is about the whole file.
    pub line: usize,
    pub message: String,
    /// Rows this warning stands for: 1, or the number of unlisted rows it summarises.
    pub count: usize,
}

impl fmt::Display for DataWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: warning: {}", self.file, self.line, self.message)
        } else {
            write!(f, "{}: warning: {}", self.file, self.message)
        }
    }
}
