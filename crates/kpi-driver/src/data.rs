//! Loading the dataset: a directory (through the columnar cache) or tables held in memory.
use kpi_data::{CacheOptions, CacheOutcome, Cached, Dataset, LoadErrors, LoadOptions};
use std::path::PathBuf;

/// Where the dataset comes from.
#[derive(Debug, Clone)]
pub enum DataInput {
    /// A directory with one file per table.
    Dir(PathBuf),
    /// Tables in memory: file name (`tickets.csv`, `surveys.jsonl`) and contents. `name` labels
    /// them in messages.
    Tables { name: PathBuf, files: Vec<(String, String)> },
}

impl DataInput {
    /// What messages call the dataset.
    pub fn location(&self) -> PathBuf {
        match self {
            DataInput::Dir(dir) => dir.clone(),
            DataInput::Tables { name, .. } => name.clone(),
        }
    }
}

/// The columnar cache of a dataset just parsed, still to be written: writing it only reads the
/// dataset, so a caller may write it while it evaluates.
pub struct PendingCache {
    pending: Box<kpi_data::PendingWrite>,
}

impl PendingCache {
    /// Write the cache; what happened, and where.
    pub fn write(self, dataset: &Dataset) -> (CacheOutcome, PathBuf) {
        let path = self.pending.path().to_path_buf();
        (self.pending.write(dataset), path)
    }
}

/// A dataset loaded, with what the cache did.
pub struct LoadedData {
    pub dataset: Dataset,
    pub pending: Option<PendingCache>,
    pub outcome: Option<(CacheOutcome, PathBuf)>,
}

/// Load a dataset: from memory, from a directory, or through the columnar cache when `cache` is given.
pub fn load_data(
    input: &DataInput,
    options: &LoadOptions,
    cache: Option<&CacheOptions>,
) -> Result<LoadedData, LoadErrors> {
    let done = |dataset| LoadedData { dataset, pending: None, outcome: None };
    match (input, cache) {
        (DataInput::Tables { files, .. }, _) => {
            let files: Vec<(&str, &str)> = files.iter().map(|(n, c)| (n.as_str(), c.as_str())).collect();
            kpi_data::load_from_memory(&files, options).map(done)
        }
        (DataInput::Dir(dir), None) => kpi_data::load(dir, options).map(done),
        (DataInput::Dir(dir), Some(cache)) => {
            let (dataset, cached) = kpi_data::load_cached_later(dir, options, cache)?;
            Ok(match cached {
                Cached::Done(outcome) => {
                    let path = kpi_data::cache_path(dir, options, cache);
                    LoadedData { dataset, pending: None, outcome: Some((outcome, path)) }
                }
                Cached::Pending(pending) => {
                    LoadedData { dataset, pending: Some(PendingCache { pending }), outcome: None }
                }
            })
        }
    }
}
