//! # Fan-out, fan-in
//!
//! The pattern: one `source` task feeds items into a channel that several `fetcher` tasks share
//! (fan-out: each item goes to whichever fetcher is free); every fetcher sends its results into one
//! merged channel (fan-in). Each fetcher holds a clone of the merged sender and drops it when the
//! source's channel runs dry, so the merged channel closes exactly when the last fetcher is done
//! — `main` reads results until then and needs no count.
//!
//! What the viewer should show: `source` blocked on `send` while all fetchers are busy, the four
//! `fetcher-i` tasks sleeping for fetches of different lengths (1–3 ms) and waiting briefly on
//! `recv`, `main` receiving from the merged channel, the fetchers' disconnections ending `main`'s
//! last `recv`. Every task exits: no leaks, no deadlocks, no lints.

use std::time::{Duration, Instant};

use weft_recorder::{channel, thread};
use weft_samples::work::{digest, spin_for};

const FETCHERS: usize = 4;
const PAGES: u64 = 40;

/// A fetched page.
struct Page {
    id: u64,
    bytes: u64,
}

/// Fetching takes 1–3 ms of I/O, depending on the page, then a little parsing.
fn fetch(id: u64) -> Page {
    thread::sleep(Duration::from_millis(1 + id * 7 % 3));
    spin_for(Duration::from_micros(100));
    Page {
        id,
        bytes: 512 + digest(id) % 4096,
    }
}

fn main() {
    let _guard = weft_recorder::init();
    let started = Instant::now();

    let (url_tx, url_rx) = channel::bounded::<u64>(FETCHERS);
    let (page_tx, page_rx) = channel::unbounded::<Page>();

    let source = thread::Builder::new()
        .name("source".into())
        .spawn(move || {
            for id in 0..PAGES {
                if url_tx.send(id).is_err() {
                    break;
                }
            }
            // Dropping `url_tx` here closes the fan-out channel.
        })
        .expect("spawn the source");

    let fetchers: Vec<_> = (0..FETCHERS)
        .map(|index| {
            let urls = url_rx.clone();
            let pages = page_tx.clone();
            thread::Builder::new()
                .name(format!("fetcher-{index}"))
                .spawn(move || {
                    while let Ok(id) = urls.recv() {
                        if pages.send(fetch(id)).is_err() {
                            break;
                        }
                    }
                })
                .expect("spawn a fetcher")
        })
        .collect();
    // The fetchers hold the only remaining ends: the merged channel closes when they finish.
    drop(url_rx);
    drop(page_tx);

    let mut pages = 0u64;
    let mut bytes = 0u64;
    let mut highest_id = 0u64;
    while let Ok(page) = page_rx.recv() {
        pages += 1;
        bytes += page.bytes;
        highest_id = highest_id.max(page.id);
    }

    source.join().expect("the source panicked");
    for fetcher in fetchers {
        fetcher.join().expect("a fetcher panicked");
    }
    println!(
        "fan_out_fan_in: {FETCHERS} fetchers fetched {pages} pages ({bytes} bytes, ids up to {highest_id}), merged in {} ms",
        started.elapsed().as_millis()
    );
}
