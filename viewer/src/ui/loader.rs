//! Opening a trace off the UI thread: read, build the model and analysis, and hand back a
//! [`Document`] — with progress, and with every failure turned into a message for the window.
//!
//! A trace of millions of events takes seconds to decode and index; doing it on the UI thread
//! would freeze the window. The loader thread reports progress through an atomic and wakes the
//! UI with `request_repaint`; a panic in the loader (a bug) becomes an error message, not a
//! crashed viewer. The user can cancel a load (a huge file, the wrong file): the loader checks a
//! flag at every progress report and stops, dropping what it had read.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{mpsc, Arc};

use weft_recorder::format::{self, Trace};

use crate::model::Model;

use super::document::Document;

/// Why a trace could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read as a trace at all.
    #[error(transparent)]
    Read(#[from] format::ReadError),
    /// The user cancelled the load.
    #[error("opening was cancelled")]
    Cancelled,
    /// The loader stopped without an answer (a bug in Weft).
    #[error("loading {0} failed unexpectedly: {1}")]
    Crashed(String, String),
}

/// What the window says about a file that did not open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadProblem {
    /// The file.
    pub path: PathBuf,
    /// What went wrong, in words.
    pub message: String,
}

/// Builds the document of a decoded trace: the model, the analysis and everything the timeline
/// precomputes. `path` is only remembered for the title and the recent-files list.
pub fn document_from_trace(trace: &Trace, path: Option<PathBuf>) -> Document {
    Document::new(Model::from_trace(trace), path)
}

/// Reads and prepares the trace at `path` on the current thread.
pub fn load_blocking(path: &Path) -> Result<Document, LoadError> {
    let trace = format::read_file(path)?;
    Ok(document_from_trace(&trace, Some(path.to_owned())))
}

/// A load in progress on its own thread.
pub struct Loading {
    /// The file being opened.
    pub path: PathBuf,
    progress: Arc<AtomicU32>,
    cancel: Arc<AtomicBool>,
    result: mpsc::Receiver<Result<Document, LoadError>>,
}

/// Progress is kept as parts per million so it fits an atomic.
const PROGRESS_SCALE: f32 = 1_000_000.0;

/// Where each step of a load ends on the progress bar, in proportion to what it takes (10 M
/// events: opening the file 0.06 s, building the model 1.0 s, the analysis and the drawing
/// tables 0.5 s).
const OPENED: f32 = 0.05;
const MODEL_BUILT: f32 = 0.7;

impl Loading {
    /// Starts loading `path`; `wake` is called whenever there is news for the UI.
    pub fn start(path: PathBuf, wake: impl Fn() + Send + Sync + 'static) -> Self {
        let progress = Arc::new(AtomicU32::new(0));
        let cancel = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel();
        let thread_progress = Arc::clone(&progress);
        let thread_cancel = Arc::clone(&cancel);
        let thread_path = path.clone();
        let spawned = std::thread::Builder::new()
            .name("weft-loader".into())
            .spawn(move || {
                let result =
                    load_with_progress(&thread_path, &thread_progress, &thread_cancel, &wake);
                // The window may have closed meanwhile; then nobody needs the result.
                let _ = tx.send(result);
                wake();
            });
        if let Err(e) = spawned {
            let (tx, rx2) = mpsc::channel();
            let _ = tx.send(Err(LoadError::Crashed(
                path.display().to_string(),
                format!("could not start a loader thread: {e}"),
            )));
            return Loading {
                path,
                progress,
                cancel,
                result: rx2,
            };
        }
        Loading {
            path,
            progress,
            cancel,
            result: rx,
        }
    }

    /// Asks the loader to stop; [`Loading::poll`] then answers [`LoadError::Cancelled`] soon
    /// (at the loader's next progress report: at most a megabyte of file or a few thousand
    /// events later).
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Whether [`Loading::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// How far the load is, 0 to 1 (opening the file is the first 5 %, decoding into the
    /// model up to 70 %, the analysis the rest).
    pub fn fraction(&self) -> f32 {
        self.progress.load(Ordering::Relaxed) as f32 / PROGRESS_SCALE
    }

    /// What the load is doing now, in a word or two: the analysis reports no progress of its
    /// own, so the bar waits at 70 % meanwhile and this says why.
    pub fn step(&self) -> &'static str {
        match self.fraction() {
            f if f < OPENED => "reading",
            f if f < MODEL_BUILT => "indexing events",
            _ => "analysing",
        }
    }

    /// The result once the load has finished.
    pub fn poll(&self) -> Option<Result<Document, LoadError>> {
        match self.result.try_recv() {
            Ok(result) => Some(result),
            Err(mpsc::TryRecvError::Empty) => None,
            Err(mpsc::TryRecvError::Disconnected) => Some(Err(LoadError::Crashed(
                self.path.display().to_string(),
                "the loader stopped (this is a bug in Weft; please report it with the file)"
                    .to_owned(),
            ))),
        }
    }
}

fn load_with_progress(
    path: &Path,
    progress: &AtomicU32,
    cancel: &AtomicBool,
    wake: &(impl Fn() + Send + Sync),
) -> Result<Document, LoadError> {
    // Stores the fraction, wakes the UI, and answers whether to go on.
    let report = |fraction: f32| {
        progress.store(
            (fraction.clamp(0.0, 1.0) * PROGRESS_SCALE) as u32,
            Ordering::Relaxed,
        );
        wake();
        if cancel.load(Ordering::Relaxed) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    // Opening only checks frames and tables; the events are decoded while the model takes them
    // (streaming: no copy of every event in between), so the model is most of the bar.
    let stream = match format::open_file_with_progress(path, |done, total| {
        report(OPENED * done as f32 / total.max(1) as f32)
    }) {
        Err(format::ReadError::Cancelled) => return Err(LoadError::Cancelled),
        other => other?,
    };
    let model = Model::from_stream_with_progress(stream, |done, total| {
        report(OPENED + (MODEL_BUILT - OPENED) * done as f32 / total.max(1) as f32)
    })
    .map_err(|_| LoadError::Cancelled)?;
    if report(MODEL_BUILT).is_break() {
        return Err(LoadError::Cancelled);
    }
    let document = Document::new(model, Some(path.to_owned()));
    // Everything is ready: a cancel that comes this late has nothing left to save.
    let _ = report(1.0);
    Ok(document)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A synthetic trace written to a file of its own (removed when the test ends).
    struct TraceFile(PathBuf);

    impl TraceFile {
        fn synthetic(name: &str) -> Self {
            use weft_recorder::synth::{generate, SynthConfig};
            let config = SynthConfig {
                events: 20_000,
                ..SynthConfig::default()
            };
            let bytes = generate(&config, Vec::new(), |_| {}).expect("generate a trace");
            let path =
                std::env::temp_dir().join(format!("weft-{}-{name}.weft", std::process::id()));
            std::fs::write(&path, bytes).expect("write a trace");
            TraceFile(path)
        }
    }

    impl Drop for TraceFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    #[test]
    fn a_cancelled_load_stops_with_cancelled_and_an_uncancelled_one_opens() {
        let file = TraceFile::synthetic("cancel");
        let path = &file.0;
        let progress = AtomicU32::new(0);
        let cancel = AtomicBool::new(true);
        let result = load_with_progress(path, &progress, &cancel, &|| {});
        assert!(
            matches!(result, Err(LoadError::Cancelled)),
            "{:?}",
            result.err()
        );

        cancel.store(false, Ordering::Relaxed);
        let doc = load_with_progress(path, &progress, &cancel, &|| {}).expect("it opens");
        assert!(!doc.model.tasks().is_empty());
        assert_eq!(progress.load(Ordering::Relaxed), PROGRESS_SCALE as u32);
    }

    #[test]
    fn the_step_a_load_is_at_follows_its_progress() {
        let (_tx, result) = mpsc::channel();
        let loading = Loading {
            path: PathBuf::from("big.weft"),
            progress: Arc::new(AtomicU32::new(0)),
            cancel: Arc::new(AtomicBool::new(false)),
            result,
        };
        let at = |fraction: f32| {
            loading
                .progress
                .store((fraction * PROGRESS_SCALE) as u32, Ordering::Relaxed);
            loading.step()
        };
        assert_eq!(at(0.0), "reading");
        assert_eq!(at(OPENED), "indexing events");
        assert_eq!(at(0.5), "indexing events");
        assert_eq!(at(MODEL_BUILT), "analysing");
        assert_eq!(at(1.0), "analysing");
    }
}
