//! Starting and stopping a recording: the builder, the guard, and the process-exit safety nets.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crossbeam_channel::Sender;

use crate::format::{FrameWriter, Header, FORMAT_VERSION};
use crate::record::{self, Shared};
use crate::writer::{Cmd, Summary, Writer};

/// The environment variable that makes [`crate::init`] record, naming the output file.
pub const TRACE_ENV: &str = "WEFT_TRACE";

/// Why recording could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The trace file could not be created or written.
    #[error("cannot write trace {path}: {source}")]
    Io {
        /// The output path ("<writer>" for a caller-supplied writer).
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// Another session is recording in this process.
    #[error("a Weft recording is already running in this process")]
    AlreadyRecording,
    /// The writer thread panicked (a bug in Weft).
    #[error("the Weft writer thread failed")]
    WriterPanicked,
}

/// Entry point for programmatic control; see [`Builder`].
pub struct Recorder;

impl Recorder {
    /// A builder with the defaults: 16 Ki events per thread, a flush every 25 ms, no compression.
    pub fn builder() -> Builder {
        Builder {
            path: None,
            sink: None,
            compression: None,
            ring_capacity: 1 << 14,
            flush_interval: Duration::from_millis(25),
            program: None,
        }
    }
}

/// Options of a recording.
pub struct Builder {
    path: Option<PathBuf>,
    sink: Option<Box<dyn Write + Send>>,
    compression: Option<i32>,
    ring_capacity: usize,
    flush_interval: Duration,
    program: Option<String>,
}

impl Builder {
    /// Write the trace to this file (created or truncated).
    pub fn path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Write the trace to this sink instead of a file.
    pub fn writer(mut self, sink: impl Write + Send + 'static) -> Self {
        self.sink = Some(Box::new(sink));
        self
    }

    /// Compress each batch with zstd at `level` (1 is fast and already ~3× smaller).
    pub fn compression(mut self, level: Option<i32>) -> Self {
        self.compression = level;
        self
    }

    /// Events each thread can buffer before the writer drains it; beyond that, events are
    /// dropped and counted (never blocking the program).
    pub fn ring_capacity(mut self, events: usize) -> Self {
        self.ring_capacity = events;
        self
    }

    /// How often the writer drains the buffers and writes: the most a `kill -9` can lose.
    pub fn flush_interval(mut self, every: Duration) -> Self {
        self.flush_interval = every.max(Duration::from_millis(1));
        self
    }

    /// The program name in the header (defaults to the executable's name).
    pub fn program(mut self, name: impl Into<String>) -> Self {
        self.program = Some(name.into());
        self
    }

    /// Starts recording. The returned guard stops it (and flushes) when dropped.
    pub fn start(self) -> Result<Guard, RecordError> {
        let path = self.path.clone();
        let shown = path.clone().unwrap_or_else(|| PathBuf::from("<writer>"));
        let io_err = |source| RecordError::Io {
            path: shown.clone(),
            source,
        };
        if record::active().is_some() {
            return Err(RecordError::AlreadyRecording);
        }
        let sink: Box<dyn Write + Send> = match (self.sink, &self.path) {
            (Some(sink), _) => sink,
            (None, Some(p)) => Box::new(File::create(p).map_err(io_err)?),
            (None, None) => Box::new(io::sink()),
        };
        let header = Header {
            format_version: FORMAT_VERSION,
            recorder_version: env!("CARGO_PKG_VERSION").to_owned(),
            program: self.program.unwrap_or_else(program_name),
            pid: std::process::id(),
            start_unix_ns: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64),
            clock: String::new(),
        };
        let (tx, rx) = crossbeam_channel::bounded(64);
        let shared = Arc::new(Shared::new(self.ring_capacity, tx.clone()));
        let header = Header {
            clock: clock_name(&shared.clock).to_owned(),
            ..header
        };
        let frames = FrameWriter::start(sink, &header, self.compression).map_err(io_err)?;
        let writer = Writer::new(shared.clone(), frames);
        let interval = self.flush_interval;
        let handle = std::thread::Builder::new()
            .name("weft-writer".into())
            .spawn(move || writer.run(rx, interval))
            .map_err(io_err)?;
        if record::activate(shared.clone()).is_err() {
            let _ = tx.send(Cmd::Stop);
            let _ = handle.join();
            return Err(RecordError::AlreadyRecording);
        }
        install_exit_hooks();
        Ok(Guard {
            session: Some(Session {
                shared,
                commands: tx,
                writer: handle,
                path,
            }),
        })
    }
}

fn program_name() -> String {
    std::env::args_os()
        .next()
        .map(PathBuf::from)
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default()
}

fn clock_name(clock: &quanta::Clock) -> &'static str {
    // quanta uses the TSC only when it is invariant; otherwise raw values are already ns.
    if clock.delta_as_nanos(0, 1_000_000) == 1_000_000 {
        "monotonic"
    } else {
        "tsc"
    }
}

struct Session {
    shared: Arc<Shared>,
    commands: Sender<Cmd>,
    writer: JoinHandle<io::Result<Summary>>,
    path: Option<PathBuf>,
}

/// Keeps a recording running; dropping it stops the recording and writes everything out.
#[must_use = "recording stops when the guard is dropped"]
pub struct Guard {
    session: Option<Session>,
}

impl Guard {
    /// A guard that records nothing (what [`crate::init`] returns without `WEFT_TRACE`).
    pub fn disabled() -> Self {
        Guard { session: None }
    }

    /// True if this guard owns a running recording.
    pub fn is_recording(&self) -> bool {
        self.session.is_some()
    }

    /// The trace file, when recording to a file.
    pub fn path(&self) -> Option<&Path> {
        self.session.as_ref().and_then(|s| s.path.as_deref())
    }

    /// Writes out everything recorded so far and waits (up to a second) until it is written.
    pub fn flush(&self) {
        if let Some(s) = &self.session {
            flush_session(&s.commands, Duration::from_secs(1));
        }
    }

    /// Stops recording, writes the end record, and returns the totals.
    pub fn finish(mut self) -> Result<Summary, RecordError> {
        self.stop()
    }

    fn stop(&mut self) -> Result<Summary, RecordError> {
        let Some(s) = self.session.take() else {
            return Ok(Summary::default());
        };
        // The main thread drops the guard as `main` returns, which ends the process: its task
        // ends here, or every trace would end with main "still running". (Other threads that
        // stop a recording, such as tests, go on running.)
        if std::thread::current().name() == Some("main") {
            record::emit(
                crate::event::EventKind::TaskExit {
                    panicked: std::thread::panicking(),
                },
                None,
            );
        }
        record::deactivate(s.shared.epoch);
        let _ = s.commands.send(Cmd::Stop);
        let shown = s.path.clone().unwrap_or_else(|| PathBuf::from("<writer>"));
        match s.writer.join() {
            Ok(Ok(summary)) => Ok(summary),
            Ok(Err(source)) => Err(RecordError::Io {
                path: shown,
                source,
            }),
            Err(_) => Err(RecordError::WriterPanicked),
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            eprintln!("weft: {e}");
        }
    }
}

fn flush_session(commands: &Sender<Cmd>, wait: Duration) {
    let (ack, done) = crossbeam_channel::bounded(1);
    if commands.send_timeout(Cmd::Flush(ack), wait).is_ok() {
        let _ = done.recv_timeout(wait);
    }
}

/// Flushes the active session, if any, from a panic or exit hook.
fn flush_active() {
    if std::thread::current().name() == Some("weft-writer") {
        return;
    }
    if let Some(shared) = record::active() {
        flush_session(&shared.wake, Duration::from_secs(1));
    }
}

/// A panicking program (even with `panic = "abort"`) and one that calls `std::process::exit`
/// without dropping the guard still get everything recorded up to that point written out.
fn install_exit_hooks() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            flush_active();
            previous(info);
        }));
        #[cfg(unix)]
        {
            extern "C" fn at_exit() {
                flush_active();
            }
            extern "C" {
                fn atexit(callback: extern "C" fn()) -> i32;
            }
            // SAFETY: registers a plain `extern "C"` function with libc's atexit, as declared.
            unsafe {
                atexit(at_exit);
            }
        }
    });
}
