//! `tokio::sync::broadcast`, recorded: every receiver sees every message, with tokio's
//! semantics and error types (re-exported in [`error`]).
//!
//! What is recorded (each at the caller's line, on the task that called):
//! - **creation**: `ChanCreate { flavor: Bounded, cap }`. A broadcast send never waits: a slow
//!   receiver lags instead.
//! - **send**: `Send { msg }`; with no receiver left, a lone `SendEnd { msg: 0, outcome:
//!   Disconnected }`.
//! - **recv**: `Recv { msg }` at once, or `RecvBegin` then `RecvEnd { msg, outcome }` (`Ok` or
//!   `Disconnected`); every receiver's `Recv` of one message carries that message's id. A
//!   receiver that fell behind records `RecvLagged { missed }` (which also ends its wait).
//! - **try_recv**: `TryRecv` with `Ok`, `Empty` or `Disconnected`, or `RecvLagged`.
//! - **disconnection**: the last `Sender` dropped, `ChanDisconnect { side: Sender }`; the last
//!   `Receiver` dropped, `ChanDisconnect { side: Receiver }` (a later `subscribe` starts a new
//!   set of receivers, whose last drop is recorded again).
//!
//! Not wrapped: `WeakSender`, `Sender::new`; use `tokio::sync::broadcast` for those.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::sync::Arc;

use ::tokio::sync::broadcast as tk;

use super::wait::{create, watched, Envelope, ReceiverEnd, SenderEnd};
use crate::event::{ChanFlavor, EventKind, ObjectId, Outcome};
use crate::record::{self, CallSite};

/// tokio's broadcast error types.
pub mod error {
    pub use ::tokio::sync::broadcast::error::{RecvError, SendError, TryRecvError};
}

use error::{RecvError, SendError, TryRecvError};

/// Creates a broadcast channel keeping the last `capacity` messages, like
/// `tokio::sync::broadcast::channel`.
///
/// # Panics
/// Like tokio, if `capacity` is 0 or too large.
#[track_caller]
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = tk::channel(capacity);
    let (senders, receivers) = create(ChanFlavor::Bounded, capacity, Location::caller());
    (
        Sender {
            end: senders,
            inner: tx,
        },
        Receiver {
            end: receivers,
            inner: rx,
        },
    )
}

/// The sending half, like `tokio::sync::broadcast::Sender`.
pub struct Sender<T> {
    // Declared (so dropped) before `inner`: the disconnect is recorded before it happens.
    end: Arc<SenderEnd>,
    inner: tk::Sender<Envelope<T>>,
}

impl<T> Sender<T> {
    /// Sends to every current receiver, returning how many there are; `Err` hands the value
    /// back if there is none.
    #[track_caller]
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        if !record::enabled() {
            return self
                .inner
                .send(Envelope { msg: 0, value })
                .map_err(|tk::error::SendError(e)| SendError(e.value));
        }
        let chan = self.end.chan;
        let msg = self.end.next_msg();
        let result = self.inner.send(Envelope { msg, value });
        let kind = match result {
            Ok(_) => EventKind::Send { chan, msg },
            Err(_) => EventKind::SendEnd {
                chan,
                msg: 0,
                outcome: Outcome::Disconnected,
            },
        };
        record::emit(kind, Some(Location::caller()));
        result.map_err(|tk::error::SendError(e)| SendError(e.value))
    }

    /// A new receiver that sees messages sent from now on.
    pub fn subscribe(&self) -> Receiver<T> {
        Receiver {
            end: self.end.receiver_end(),
            inner: self.inner.subscribe(),
        }
    }

    /// The number of messages the slowest receiver has not yet seen.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// True if every receiver has seen every message.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// The number of receivers.
    pub fn receiver_count(&self) -> usize {
        self.inner.receiver_count()
    }

    /// True if both senders belong to the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        self.inner.same_channel(&other.inner)
    }

    /// Completes when every receiver is gone (not recorded).
    pub async fn closed(&self) {
        self.inner.closed().await
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender {
            end: Arc::clone(&self.end),
            inner: self.inner.clone(),
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Sender { .. }")
    }
}

/// A receiving half, like `tokio::sync::broadcast::Receiver`.
pub struct Receiver<T> {
    // Declared (so dropped) before `inner`: the disconnect is recorded before it happens.
    end: Arc<ReceiverEnd>,
    inner: tk::Receiver<Envelope<T>>,
}

fn unwrap_recv<T>(result: Result<Envelope<T>, RecvError>) -> Result<T, RecvError> {
    result.map(|e| e.value)
}

impl<T: Clone> Receiver<T> {
    /// Receives the next message, waiting for one; `Closed` once every sender is gone,
    /// `Lagged(n)` if this receiver missed `n` messages.
    #[track_caller]
    pub fn recv(&mut self) -> impl Future<Output = Result<T, RecvError>> + '_ {
        let site = Location::caller();
        async move {
            if !record::enabled() {
                return unwrap_recv(self.inner.recv().await);
            }
            let chan = self.end.chan;
            let begin = EventKind::RecvBegin { chan };
            let (result, waited) = watched(self.inner.recv(), chan, begin, site).await;
            record_recv(chan, &result, waited, site);
            unwrap_recv(result)
        }
    }

    /// Receives without waiting.
    #[track_caller]
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let result = self.inner.try_recv();
        if record::enabled() {
            let chan = self.end.chan;
            let kind = match &result {
                Ok(e) => EventKind::TryRecv {
                    chan,
                    msg: e.msg,
                    outcome: Outcome::Ok,
                },
                Err(TryRecvError::Empty) => EventKind::TryRecv {
                    chan,
                    msg: 0,
                    outcome: Outcome::Empty,
                },
                Err(TryRecvError::Closed) => EventKind::TryRecv {
                    chan,
                    msg: 0,
                    outcome: Outcome::Disconnected,
                },
                Err(TryRecvError::Lagged(missed)) => EventKind::RecvLagged {
                    chan,
                    missed: *missed,
                },
            };
            record::emit(kind, Some(Location::caller()));
        }
        result.map(|e| e.value)
    }

    /// A new receiver of the same channel that sees messages sent from now on.
    pub fn resubscribe(&self) -> Self {
        Receiver {
            end: Arc::clone(&self.end),
            inner: self.inner.resubscribe(),
        }
    }
}

impl<T> Receiver<T> {
    /// The number of messages this receiver has not yet seen.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// True if this receiver has seen every message.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// True if every sender is gone.
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// True if both receivers belong to the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        self.inner.same_channel(&other.inner)
    }
}

fn record_recv<T>(
    chan: ObjectId,
    result: &Result<Envelope<T>, RecvError>,
    waited: bool,
    site: CallSite,
) {
    let kind = match (result, waited) {
        (Ok(e), false) => EventKind::Recv { chan, msg: e.msg },
        (Ok(e), true) => EventKind::RecvEnd {
            chan,
            msg: e.msg,
            outcome: Outcome::Ok,
        },
        (Err(RecvError::Closed), _) => EventKind::RecvEnd {
            chan,
            msg: 0,
            outcome: Outcome::Disconnected,
        },
        (Err(RecvError::Lagged(missed)), _) => EventKind::RecvLagged {
            chan,
            missed: *missed,
        },
    };
    record::emit(kind, Some(site));
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Receiver { .. }")
    }
}
