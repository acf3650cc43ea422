//! The recorder end to end: hot path → rings → writer → file → reader.

use std::collections::HashMap;
use std::time::Duration;

use weft_recorder::event::EventKind;
use weft_recorder::format::{self, read_bytes, Trace};
use weft_recorder::testing;

fn yields_by_task(trace: &Trace) -> HashMap<u64, usize> {
    let mut n = HashMap::new();
    for e in &trace.events {
        if e.kind == EventKind::Yield {
            *n.entry(e.task).or_default() += 1;
        }
    }
    n
}

#[test]
fn events_of_adopted_threads_arrive_in_order_with_sites_and_task_starts() {
    let trace = testing::record(|| {
        for _ in 0..3 {
            weft_recorder::bench::emit_event();
        }
        std::thread::Builder::new()
            .name("helper".into())
            .spawn(|| weft_recorder::bench::emit_event())
            .unwrap()
            .join()
            .unwrap();
    });
    assert!(trace.loss.is_complete(), "{:?}", trace.loss);
    assert_eq!(trace.header.program, "test");
    let starts: Vec<_> = trace
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::TaskStart { task, name } => Some((task, trace.string(name).to_owned())),
            _ => None,
        })
        .collect();
    assert!(starts.iter().any(|(_, n)| n == "helper"), "{starts:?}");
    let yields: Vec<_> = trace
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Yield)
        .collect();
    assert_eq!(yields.len(), 4);
    for y in &yields {
        let site = trace.site(y.site).expect("a yield has its call site");
        assert!(site.file.ends_with("recording.rs"), "{site}");
    }
    assert!(trace.events.windows(2).all(|w| w[0].ts <= w[1].ts));
    // Every event's task was introduced by a TaskStart on its worker.
    for e in &trace.events {
        assert!(starts.iter().any(|(t, _)| *t == e.task), "{e:?}");
    }
}

#[test]
fn a_cut_at_every_byte_returns_every_complete_batch_and_reports_the_rest() {
    let (bytes, full) = testing::record_bytes(|| {
        for _ in 0..50 {
            weft_recorder::bench::emit_event();
        }
    });
    assert!(full.loss.is_complete());
    let mut last_events = 0;
    for cut in 0..bytes.len() {
        let trace = read_bytes(&bytes[..cut]).expect("a cut trace still opens");
        assert!(!trace.loss.clean_end);
        assert!(
            trace.loss.truncated_bytes > 0 || cut == 0 || !trace.loss.notes.is_empty(),
            "cut at {cut} says nothing about what it lost"
        );
        assert!(
            trace.events.len() >= last_events,
            "a longer prefix never reads fewer events"
        );
        last_events = trace.events.len();
        assert_eq!(&full.events[..trace.events.len()], &trace.events[..]);
    }
}

#[test]
fn damaged_bytes_never_panic_and_are_reported() {
    let (bytes, full) = testing::record_bytes(|| {
        for _ in 0..200 {
            weft_recorder::bench::emit_event();
        }
    });
    for i in (12..bytes.len()).step_by(3) {
        let mut damaged = bytes.clone();
        damaged[i] ^= 0x5a;
        let trace = read_bytes(&damaged).expect("a damaged trace still opens");
        assert!(trace.events.len() <= full.events.len());
        if trace.events.len() < full.events.len() {
            assert!(
                !trace.loss.is_complete(),
                "lost events at byte {i} unreported"
            );
        }
    }
}

#[test]
fn not_a_trace_and_newer_versions_are_clear_errors() {
    let err = read_bytes(b"PK\x03\x04 some zip file").unwrap_err();
    assert!(err.to_string().contains("not a Weft trace"), "{err}");
    let mut newer = format::MAGIC.to_vec();
    newer.extend_from_slice(&99u32.to_le_bytes());
    let err = read_bytes(&newer).unwrap_err();
    assert!(err.to_string().contains("version 99"), "{err}");
}

#[test]
fn a_thread_blocked_forever_still_gets_its_last_events_into_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blocked.weft");
    let _serial = testing::exclusive();
    let guard = weft_recorder::Recorder::builder()
        .path(&path)
        .flush_interval(Duration::from_millis(10))
        .start()
        .unwrap();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("stuck".into())
        .spawn(move || {
            weft_recorder::bench::emit_event();
            ready_tx.send(()).unwrap();
            // Blocks forever without recording or flushing anything itself.
            loop {
                std::thread::park();
            }
        })
        .unwrap();
    ready_rx.recv().unwrap();
    // While the program runs: the writer collects from the blocked thread's buffer.
    let mut seen = false;
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(10));
        let trace = format::read_file(&path).unwrap();
        if stuck_yield(&trace) {
            seen = true;
            break;
        }
    }
    assert!(
        seen,
        "the blocked thread's event never reached the file while running"
    );
    // And when the recording ends with the thread still blocked.
    drop(guard);
    let trace = format::read_file(&path).unwrap();
    assert!(trace.loss.is_complete(), "{:?}", trace.loss);
    assert!(stuck_yield(&trace));
}

fn stuck_yield(trace: &Trace) -> bool {
    let stuck_tasks: Vec<u64> = trace
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::TaskStart { task, name } if trace.string(name) == "stuck" => Some(task),
            _ => None,
        })
        .collect();
    trace
        .events
        .iter()
        .any(|e| e.kind == EventKind::Yield && stuck_tasks.contains(&e.task))
}

#[test]
fn stress_32_threads_every_event_is_written_or_counted() {
    const THREADS: usize = 32;
    const EVENTS: usize = 100_000;
    let trace = testing::record(|| {
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                std::thread::spawn(|| {
                    for _ in 0..EVENTS {
                        weft_recorder::bench::emit_event();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    });
    let per_task = yields_by_task(&trace);
    let written: usize = per_task.values().sum();
    assert_eq!(
        written as u64 + trace.loss.dropped_events,
        (THREADS * EVENTS) as u64,
        "written {written}, dropped {}",
        trace.loss.dropped_events
    );
    if trace.loss.dropped_events > 0 {
        assert!(trace.loss.notes.iter().any(|n| n.contains("dropped")));
    }
    assert!(trace.loss.clean_end);
    eprintln!(
        "stress: {written} written, {} dropped of {}",
        trace.loss.dropped_events,
        THREADS * EVENTS
    );
}

#[test]
fn an_exited_threads_buffer_is_flushed_and_its_ring_forgotten() {
    let trace = testing::record(|| {
        for _ in 0..20 {
            std::thread::spawn(|| weft_recorder::bench::emit_event())
                .join()
                .unwrap();
        }
        std::thread::sleep(Duration::from_millis(60));
    });
    assert_eq!(yields_by_task(&trace).values().sum::<usize>(), 20);
    assert_eq!(trace.workers.len(), 20);
}
