//! # Leak: a send that nobody will ever receive
//!
//! The pitfall: `lookup` runs each request on its own thread and waits for the answer with a
//! timeout. When the backend is slow the caller gives up — but the answer channel is a
//! rendezvous channel, so the lookup thread, once it has its answer, blocks in `send` until a
//! receiver takes it. Nobody ever will: the caller parked the receiver in a retry queue that is
//! never drained. (In Rust, dropping the receiver would have released the sender with an error;
//! the leak needs the receiver kept alive while no one receives — here by a global queue, in real
//! programs by a struct that outlives the request.) Each timed-out request leaks a thread forever.
//!
//! What the viewer should show: four `lookup-i` tasks; `lookup-0` and `lookup-2` answer within the
//! timeout and exit; `lookup-1` and `lookup-3` (slow backends, which answer only after the caller
//! gave up — so the run tells the same story however loaded the machine is) block on `send` at the
//! line marked `weft:leak-send` and are still blocked when the trace ends: two leaks, grouped
//! under one spawn site. `main` gives up on each slow lookup with a `recv` that ends in a timeout,
//! then works on for 100 ms and returns without joining the stuck threads (joining would hang).
//! No deadlock, no lints.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use weft_recorder::channel::{self, Receiver, Sender};
use weft_recorder::sync::Mutex;
use weft_recorder::thread;

/// Long enough that a fast backend always answers in time, even on a loaded machine.
const TIMEOUT: Duration = Duration::from_millis(150);

/// Answers whose requests timed out, kept "for a retry" that never comes.
static RETRY_QUEUE: OnceLock<Mutex<Vec<Receiver<String>>>> = OnceLock::new();

/// How a simulated backend behaves.
enum Backend {
    /// Answers after this long.
    Fast(Duration),
    /// Answers only once the caller has given up (signalled on this channel).
    Slow(Receiver<()>),
}

/// The lookup thread: asks the backend, then hands the answer over — or waits forever trying.
fn answer_lookup(id: u32, backend: Backend, answer_tx: Sender<String>) {
    match backend {
        Backend::Fast(latency) => thread::sleep(latency), // the backend call
        Backend::Slow(caller_gave_up) => {
            let _ = caller_gave_up.recv();
        }
    }
    let answer = format!("record {id}");
    let _ = answer_tx.send(answer); // weft:leak-send
}

/// Looks `id` up on a fast or slow backend, giving up after `TIMEOUT`.
fn lookup(id: u32, slow: bool) -> Option<String> {
    let (answer_tx, answer_rx) = channel::bounded::<String>(0); // weft:answer-channel
    let (gave_up_tx, gave_up_rx) = channel::bounded::<()>(1);
    let backend = if slow {
        Backend::Slow(gave_up_rx)
    } else {
        Backend::Fast(Duration::from_millis(2))
    };
    let _detached = thread::Builder::new()
        .name(format!("lookup-{id}"))
        .spawn(move || answer_lookup(id, backend, answer_tx)) // weft:spawn-lookup
        .expect("spawn a lookup");
    match answer_rx.recv_timeout(TIMEOUT) {
        Ok(answer) => Some(answer),
        Err(_) => {
            RETRY_QUEUE
                .get_or_init(|| Mutex::new(Vec::new()))
                .lock()
                .unwrap()
                .push(answer_rx);
            let _ = gave_up_tx.send(());
            None
        }
    }
}

fn main() {
    let _guard = weft_recorder::init();
    let started = Instant::now();

    let backends = [false, true, false, true]; // slow?
    let answered = (0u32..)
        .zip(backends)
        .filter_map(|(id, slow)| lookup(id, slow))
        .count();

    // The rest of the program; by its end the slow lookups are stuck in `send`.
    thread::sleep(Duration::from_millis(100));
    println!(
        "leak_blocked_send: {answered} of {} lookups answered in time; {} lookup threads left blocked on send after {} ms",
        backends.len(),
        backends.len() - answered,
        started.elapsed().as_millis()
    );
}
