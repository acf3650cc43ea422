//! Shared pieces of the fuzz targets: the trace file's framing (so mutations can keep frames
//! checksummed and reach the payload decoders), a structure-aware mutator over it, and the
//! invariants every decoded trace must satisfy.
//!
//! Why structure-aware: every frame carries a CRC32, so a plain byte mutation of a valid trace
//! is almost always rejected at the checksum and never reaches MessagePack or the chunk codec.
//! The mutator here edits one frame's *decoded* payload (a MessagePack value tree, down to the
//! bytes of an event chunk) and re-frames it with a correct length and checksum; it also
//! deletes, duplicates, reorders, (de)compresses and cuts frames, and sometimes damages raw
//! bytes so the reader's resynchronisation is exercised too.

pub mod frames;
pub mod mutate;

mod alloc_limit;
#[cfg(feature = "model")]
pub mod model_checks;

use weft_recorder::format::{open_bytes, read_bytes, Trace};

/// Decodes `data` and checks what the reader promises about any input: no panic (the fuzzer
/// catches those), and a trace whose tables and events are consistent.
pub fn read_and_check(data: &[u8]) -> Option<Trace> {
    let trace = read_bytes(data).ok()?;
    assert_eq!(
        trace.strings.first().map(String::as_str),
        Some(""),
        "strings[0] is the empty string"
    );
    assert!(!trace.sites.is_empty(), "sites[0] is the unknown site");
    assert!(
        trace.events.windows(2).all(|w| w[0].ts <= w[1].ts),
        "events are sorted by time"
    );
    for event in &trace.events {
        assert!(
            (event.worker as usize) < trace.workers.len(),
            "every event's worker is in the worker table"
        );
        // Lookups of ids read from the file never panic, defined or not.
        let _ = trace.site(event.site);
    }
    if trace.loss.is_complete() {
        assert!(trace.loss.clean_end);
    }
    let _ = trace.duration_ns();
    streams_the_same(data, &trace);
    Some(trace)
}

/// The streaming reader (what the viewer loads with) checks events as it decodes them: taken
/// one by one, they are `read`'s events, within the bound its size hint gave, and its loss once
/// they are all taken is `read`'s loss.
fn streams_the_same(data: &[u8], read: &Trace) {
    let Ok(stream) = open_bytes(data) else {
        panic!("read_bytes opened what open_bytes did not");
    };
    let (tables, mut events) = stream.into_parts();
    assert!(tables.loss.corrupt_frames <= read.loss.corrupt_frames);
    let (_, at_most) = events.size_hint();
    let mut taken = 0usize;
    for (k, event) in events.by_ref().enumerate() {
        assert_eq!(Some(&event), read.events.get(k), "streamed event {k}");
        taken += 1;
    }
    assert_eq!(taken, read.events.len());
    assert!(at_most.is_none_or(|bound| taken <= bound), "size hint {at_most:?} < {taken}");
    assert_eq!(events.loss(), read.loss);
}
