//! A traced program that ends badly on purpose, for `recorder/tests/crash.rs`.
//!
//! Usage: `WEFT_TRACE=out.weft crashy MODE`, where MODE is
//! - `run-until-killed`: producers and a consumer exchange messages until the process is
//!   killed (prints `ready` once it has been recording for a while);
//! - `panic`: after the exchange, `main` panics with the guard alive (unwinding drops it);
//! - `abort`: after the exchange, a panic that cannot unwind aborts the process — the panic
//!   hook runs, then the process dies, as with `panic = "abort"`;
//! - `exit`: after the exchange, `std::process::exit(3)` with the guard never dropped.
//!
//! In every mode a thread named `stuck` waits forever on a channel nobody sends to, and the
//! last thing `main` records before ending badly is a sleep of [`MARKER_NS`] nanoseconds, so
//! the test can tell exactly what made it into the file.

use std::io::Write;
use std::time::Duration;

use weft_recorder::channel;
use weft_recorder::thread;

/// Messages `main` sends to the consumer before ending badly.
const MESSAGES: u64 = 1000;
/// The duration of the marker sleep: the last event `main` records.
const MARKER_NS: u64 = 4242;
/// Producer threads in `run-until-killed`.
const PRODUCERS: usize = 3;

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let guard = weft_recorder::init();
    if !guard.is_recording() {
        eprintln!("crashy: set WEFT_TRACE to the trace file to write");
        std::process::exit(2);
    }
    let (never_tx, never_rx) = channel::bounded::<()>(0);
    thread::Builder::new()
        .name("stuck".into())
        .spawn(move || {
            let _ = never_rx.recv();
        })
        .expect("spawn the stuck thread");

    match mode.as_str() {
        "run-until-killed" => run_until_killed(),
        "panic" => {
            exchange();
            marker();
            panic!("crashy: panicking on purpose");
        }
        "abort" => {
            exchange();
            marker();
            panic_where_unwinding_is_impossible();
        }
        "exit" => {
            exchange();
            marker();
            std::process::exit(3);
        }
        other => {
            eprintln!("crashy: unknown mode {other:?}");
            std::process::exit(2);
        }
    }
    drop(never_tx);
    drop(guard);
}

/// `main` sends [`MESSAGES`] numbers to a consumer thread and waits until it has them all.
fn exchange() {
    let (tx, rx) = channel::bounded::<u64>(16);
    let consumer = thread::Builder::new()
        .name("consumer".into())
        .spawn(move || rx.iter().sum::<u64>())
        .expect("spawn the consumer");
    for i in 1..=MESSAGES {
        tx.send(i).expect("the consumer is alive");
    }
    drop(tx);
    let sum = consumer.join().expect("the consumer does not panic");
    assert_eq!(sum, MESSAGES * (MESSAGES + 1) / 2);
}

fn marker() {
    thread::sleep(Duration::from_nanos(MARKER_NS));
}

/// A panic inside a function that cannot unwind: the panic hook runs (and flushes the trace),
/// then the runtime aborts the process.
fn panic_where_unwinding_is_impossible() {
    extern "C" fn cannot_unwind() {
        panic!("crashy: panicking where unwinding is impossible");
    }
    cannot_unwind();
}

/// Producers send numbered messages to one consumer, pausing briefly between sends, forever.
fn run_until_killed() {
    let (tx, rx) = channel::bounded::<u64>(64);
    thread::Builder::new()
        .name("consumer".into())
        .spawn(move || for _ in rx.iter() {})
        .expect("spawn the consumer");
    for p in 0..PRODUCERS {
        let tx = tx.clone();
        thread::Builder::new()
            .name(format!("producer-{p}"))
            .spawn(move || {
                for i in 0.. {
                    if tx.send(i).is_err() {
                        return;
                    }
                    thread::sleep(Duration::from_micros(200));
                }
            })
            .expect("spawn a producer");
    }
    thread::sleep(Duration::from_millis(200));
    println!("ready");
    let _ = std::io::stdout().flush();
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}
