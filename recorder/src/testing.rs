//! Recording inside tests: run a closure under an in-memory session and get the decoded trace.
//!
//! Sessions are process-wide, so [`record`] serialises them; tests that run at the same time
//! and use instrumented primitives outside `record` may add their own events to the trace —
//! filter by the tasks your test created.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::format::{read_bytes, Trace};
use crate::Recorder;

static SERIAL: Mutex<()> = Mutex::new(());

#[derive(Clone, Default)]
struct Memory(Arc<Mutex<Vec<u8>>>);

impl Write for Memory {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Holds off every other [`record`] while alive: for tests that start their own session.
pub fn exclusive() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Records everything `f` does and returns the decoded trace.
///
/// # Panics
/// If the recording cannot start or what it wrote does not decode — both bugs in Weft.
pub fn record(f: impl FnOnce()) -> Trace {
    record_bytes(f).1
}

/// As [`record`], also returning the encoded bytes (for format tests).
pub fn record_bytes(f: impl FnOnce()) -> (Vec<u8>, Trace) {
    let _serial = exclusive();
    let memory = Memory::default();
    let guard = Recorder::builder()
        .writer(memory.clone())
        .program("test")
        .start()
        .expect("start an in-memory recording");
    f();
    guard.finish().expect("finish the in-memory recording");
    let bytes = std::mem::take(&mut *memory.0.lock().unwrap_or_else(|e| e.into_inner()));
    let trace = read_bytes(&bytes).expect("decode what the recorder wrote");
    (bytes, trace)
}
