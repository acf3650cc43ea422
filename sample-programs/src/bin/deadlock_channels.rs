//! # Deadlock: two threads each waiting to receive from the other
//!
//! The pitfall: `alice` and `bob` play a ping-pong protocol over two channels, each holding the
//! only sender of the other's inbox. After three rounds the protocol goes wrong: `alice` waits for
//! `bob` to say goodbye, while `bob` waits for `alice`'s next ping. Each is blocked in `recv` on a
//! channel that only the other, equally blocked, could send on. Nothing is disconnected, so
//! nothing times out: both wait forever.
//!
//! What the viewer should show: three rounds of ping (alice → bob) and pong (bob → alice), with
//! send → recv links; then `alice` blocked on `recv` at the line marked `weft:alice-waits` and
//! `bob` at `weft:bob-waits` until the end of the trace — an actual deadlock through the two
//! channels (each one's only sender is the other task, as the sends earlier in the run show), and
//! two leaks. `main` waits 300 ms for the conversation to finish, gives up and returns without
//! joining them. No lints.

use std::time::{Duration, Instant};

use weft_recorder::channel::{self, Receiver, Sender};
use weft_recorder::thread;

const ROUNDS: u32 = 3;

/// What the two say to each other.
enum Message {
    Ping(u32),
    Pong(u32),
    Bye,
}

/// Pings Bob for `ROUNDS` rounds, then waits for him to say goodbye.
fn alice(inbox: Receiver<Message>, to_bob: Sender<Message>, done: Sender<&'static str>) {
    for round in 0..ROUNDS {
        let _ = to_bob.send(Message::Ping(round));
        match inbox.recv() {
            Ok(Message::Pong(answered)) if answered == round => {}
            _ => return,
        }
        thread::sleep(Duration::from_millis(1));
    }
    // Alice thinks it is Bob's turn to end the conversation.
    let goodbye = inbox.recv(); // weft:alice-waits
    if let Ok(Message::Bye) = goodbye {
        let _ = done.send("alice");
    }
}

/// Answers Alice's pings until she says goodbye — which she never will.
fn bob(inbox: Receiver<Message>, to_alice: Sender<Message>, done: Sender<&'static str>) {
    loop {
        let message = inbox.recv(); // weft:bob-waits
        let Ok(Message::Ping(round)) = message else {
            break;
        };
        thread::sleep(Duration::from_millis(1));
        let _ = to_alice.send(Message::Pong(round));
    }
    let _ = to_alice.send(Message::Bye);
    let _ = done.send("bob");
}

fn main() {
    let _guard = weft_recorder::init();
    let started = Instant::now();

    let (to_alice_tx, to_alice_rx) = channel::unbounded::<Message>(); // weft:chan-to-alice
    let (to_bob_tx, to_bob_rx) = channel::unbounded::<Message>(); // weft:chan-to-bob
    let (done_tx, done_rx) = channel::unbounded::<&'static str>();

    let alice_done = done_tx.clone();
    let _alice = thread::Builder::new()
        .name("alice".into())
        .spawn(move || alice(to_alice_rx, to_bob_tx, alice_done)) // weft:spawn-alice
        .expect("spawn alice");
    let _bob = thread::Builder::new()
        .name("bob".into())
        .spawn(move || bob(to_bob_rx, to_alice_tx, done_tx)) // weft:spawn-bob
        .expect("spawn bob");

    // A watchdog: wait for both, but not forever.
    let deadline = Instant::now() + Duration::from_millis(300);
    let mut finished = 0;
    while finished < 2 {
        let left = deadline.saturating_duration_since(Instant::now());
        match done_rx.recv_timeout(left) {
            Ok(_) => finished += 1,
            Err(_) => break,
        }
    }
    println!(
        "deadlock_channels: {finished} of 2 finished after {} ms; {} each waiting to receive from the other",
        started.elapsed().as_millis(),
        if finished == 2 { "none" } else { "alice and bob are" }
    );
}
