//! The recent-files list: most recent first, no duplicates, a handful long, kept across runs
//! in eframe's storage (a small RON file in the platform's data directory).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The key under which the list is stored.
const STORAGE_KEY: &str = "weft.recent_files";
/// How many files the menu remembers.
pub const MAX_RECENT: usize = 10;

/// Files opened before, most recent first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentFiles {
    paths: Vec<PathBuf>,
}

impl RecentFiles {
    /// The list saved by an earlier run, or an empty one.
    pub fn load(storage: Option<&dyn eframe::Storage>) -> Self {
        storage
            .and_then(|s| eframe::get_value(s, STORAGE_KEY))
            .unwrap_or_default()
    }

    /// Saves the list for the next run.
    pub fn save(&self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, STORAGE_KEY, self);
    }

    /// Puts `path` at the top, removing an older entry for it and the oldest beyond the limit.
    pub fn touch(&mut self, path: &Path) {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
        self.paths.retain(|p| p != &path);
        self.paths.insert(0, path);
        self.paths.truncate(MAX_RECENT);
    }

    /// Forgets `path` (e.g. it no longer exists).
    pub fn forget(&mut self, path: &Path) {
        self.paths.retain(|p| p != path);
    }

    /// The files, most recent first.
    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_recent_first_without_duplicates_and_bounded() {
        let mut r = RecentFiles::default();
        for i in 0..(MAX_RECENT + 3) {
            r.touch(Path::new(&format!("/nonexistent/t{i}.weft")));
        }
        r.touch(Path::new("/nonexistent/t5.weft"));
        assert_eq!(r.paths().len(), MAX_RECENT);
        assert_eq!(r.paths()[0], Path::new("/nonexistent/t5.weft"));
        assert_eq!(
            r.paths()
                .iter()
                .filter(|p| *p == Path::new("/nonexistent/t5.weft"))
                .count(),
            1
        );
        r.forget(Path::new("/nonexistent/t5.weft"));
        assert!(!r.paths().contains(&PathBuf::from("/nonexistent/t5.weft")));
    }
}
