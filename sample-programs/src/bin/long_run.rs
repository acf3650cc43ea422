//! # Long run
//!
//! A busy service run for as long as it takes to record a given number of events: the recorder
//! under millions of events from a real program, and traces of 1 M and 10 M events to load,
//! beside the synthetic ones `weft gen` writes. Requests flow through a pipeline over bounded
//! channels — a source, a parser, a pool of workers, a collector — so every stage throttles the
//! one before it; each worker looks its request's key up in a cache shared by the pool (a
//! `Mutex` held for the lookup only), and every 64th request waits on a short I/O call (a sleep).
//! Shutdown is graceful, stage by stage, as in `worker_pool`.
//!
//! What the viewer should show: the workers running in short bursts between `recv` waits on the
//! request channel, now and then sleeping; the source and the parser blocked on `send` whenever
//! the stage after them is full; the cache lock taken by every worker, held briefly, rarely
//! waited for; the collector receiving every result. Every task exits: no leaks, no deadlocks,
//! no lints.
//!
//! Usage: `long_run [--events N] [--workers W]`, where N takes a `k` or `M` suffix
//! (`--events 10M`); defaults: 50k events, 4 workers. How many requests that takes is worked
//! out from the events a request records; the summary line gives the count recorded.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use weft_recorder::sync::Mutex;
use weft_recorder::{channel, thread};
use weft_samples::work::{digest, spin_for};

const DEFAULT_EVENTS: u64 = 50_000;
const MAX_EVENTS: u64 = 1_000_000_000;
const DEFAULT_WORKERS: usize = 4;
const MAX_WORKERS: usize = 64;
/// Events one request records, measured: a send and a receive at each of three hand-offs (a
/// blocked one is a begin and an end), the cache lock taken and released, a share of the
/// sleeps. Used to turn `--events` into a number of requests.
const EVENTS_PER_REQUEST: u64 = 9;
/// Every this many requests, a worker's request includes an I/O call.
const IO_EVERY: u64 = 64;
/// Distinct keys: the cache fills early and then mostly hits.
const KEYS: u64 = 4096;

/// What to run.
#[derive(Debug, PartialEq)]
struct Config {
    events: u64,
    workers: usize,
}

impl Config {
    fn from_args(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let mut config = Config {
            events: DEFAULT_EVENTS,
            workers: DEFAULT_WORKERS,
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let value = args.next();
            let missing = || format!("`{arg}` needs a value");
            match arg.as_str() {
                "--events" => config.events = parse_events(&value.ok_or_else(missing)?)?,
                "--workers" => {
                    let text = value.ok_or_else(missing)?;
                    config.workers = match text.trim().parse::<usize>() {
                        Ok(n) if (1..=MAX_WORKERS).contains(&n) => n,
                        _ => {
                            return Err(format!(
                            "workers must be a whole number from 1 to {MAX_WORKERS}, got `{text}`"
                        ))
                        }
                    }
                }
                other => return Err(format!("unknown argument `{other}`")),
            }
        }
        Ok(config)
    }

    /// Requests that record about `events` events.
    fn requests(&self) -> u64 {
        self.events.div_ceil(EVENTS_PER_REQUEST)
    }
}

/// `50000`, `50k` or `10M`.
fn parse_events(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let (digits, scale) = match trimmed.strip_suffix(['k', 'K']) {
        Some(digits) => (digits, 1_000),
        None => match trimmed.strip_suffix('M') {
            Some(digits) => (digits, 1_000_000),
            None => (trimmed, 1),
        },
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .filter(|n| (1..=MAX_EVENTS).contains(n))
        .ok_or_else(|| {
            format!("events must be a whole number from 1 to 1000M (k and M suffixes accepted), got `{text}`")
        })
}

/// A request as the source makes it.
struct Request {
    id: u64,
    body: u64,
}

/// A request the parser has read.
struct Parsed {
    id: u64,
    key: u64,
}

/// What a worker answered.
struct Response {
    id: u64,
    value: u64,
}

/// A worker's handling of one request: a lookup in the shared cache, computing the value on a
/// miss outside the lock, a little work, and now and then an I/O call.
fn handle(request: Parsed, cache: &Mutex<HashMap<u64, u64>>) -> Response {
    let cached = cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&request.key)
        .copied();
    let value = match cached {
        Some(value) => value,
        None => {
            let value = digest(request.key);
            cache
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(request.key, value);
            value
        }
    };
    spin_for(Duration::from_micros(2));
    if request.id % IO_EVERY == 0 {
        thread::sleep(Duration::from_micros(50));
    }
    Response {
        id: request.id,
        value: value ^ request.id,
    }
}

fn main() -> ExitCode {
    let guard = weft_recorder::init();
    let config = match Config::from_args(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("long_run: {message}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let requests = config.requests();
    let depth = config.workers * 2;

    let (request_tx, request_rx) = channel::bounded::<Request>(depth);
    let (parsed_tx, parsed_rx) = channel::bounded::<Parsed>(depth);
    let (response_tx, response_rx) = channel::bounded::<Response>(depth);
    let cache = std::sync::Arc::new(Mutex::new(HashMap::new()));

    let source = thread::Builder::new()
        .name("source".into())
        .spawn(move || {
            for id in 0..requests {
                let body = digest(id);
                if request_tx.send(Request { id, body }).is_err() {
                    break;
                }
            }
        })
        .expect("spawn the source");

    let parser = thread::Builder::new()
        .name("parser".into())
        .spawn(move || {
            while let Ok(request) = request_rx.recv() {
                let parsed = Parsed {
                    id: request.id,
                    key: request.body % KEYS,
                };
                if parsed_tx.send(parsed).is_err() {
                    break;
                }
            }
        })
        .expect("spawn the parser");

    let workers: Vec<_> = (0..config.workers)
        .map(|index| {
            let requests = parsed_rx.clone();
            let responses = response_tx.clone();
            let cache = cache.clone();
            thread::Builder::new()
                .name(format!("worker-{index}"))
                .spawn(move || {
                    while let Ok(request) = requests.recv() {
                        if responses.send(handle(request, &cache)).is_err() {
                            break;
                        }
                    }
                })
                .expect("spawn a worker")
        })
        .collect();
    // The stages' own handles hold the channels open; these must not.
    drop((parsed_rx, response_tx));

    let collector = thread::Builder::new()
        .name("collector".into())
        .spawn(move || {
            let mut received = 0u64;
            let mut checksum = 0u64;
            while let Ok(response) = response_rx.recv() {
                received += 1;
                checksum = checksum.wrapping_add(response.value ^ response.id);
            }
            (received, checksum)
        })
        .expect("spawn the collector");

    let _ = source.join();
    let _ = parser.join();
    for worker in workers {
        let _ = worker.join();
    }
    let (received, checksum) = collector.join().unwrap_or((0, 0));
    let elapsed = started.elapsed();
    let recorded = match guard.finish() {
        Ok(summary) if summary.events > 0 => format!(
            ", {} events recorded ({} dropped)",
            summary.events, summary.dropped
        ),
        Ok(_) => String::new(),
        Err(error) => {
            eprintln!("long_run: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "long_run: {received} of {requests} requests answered by {} workers in {elapsed:.2?}{recorded} (checksum {checksum:016x})",
        config.workers
    );
    if received == requests {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn events_take_k_and_m_suffixes_and_refuse_nonsense() {
        assert_eq!(parse_events("10M"), Ok(10_000_000));
        assert_eq!(parse_events("50k"), Ok(50_000));
        assert_eq!(parse_events("1234"), Ok(1234));
        for bad in [
            "",
            "0",
            "ten",
            "10G",
            "-5",
            "1001M",
            "99999999999999999999M",
        ] {
            assert!(parse_events(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn arguments_set_events_and_workers() {
        let config = Config::from_args(args(&["--events", "1M", "--workers", "8"]));
        assert_eq!(
            config,
            Ok(Config {
                events: 1_000_000,
                workers: 8
            })
        );
        assert_eq!(config.map(|c| c.requests()), Ok(111_112));
        assert!(Config::from_args(args(&["--workers", "0"])).is_err());
        assert!(Config::from_args(args(&["--events"])).is_err());
        assert!(Config::from_args(args(&["--fast"])).is_err());
    }
}
