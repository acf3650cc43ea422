//! `tokio::sync::watch`, recorded: one value, many observers, with tokio's semantics and error
//! types (re-exported in [`error`]).
//!
//! What is recorded (each at the caller's line, on the task that called):
//! - **creation**: `ChanCreate { flavor: Bounded, cap: 1 }` (a watch channel holds one value).
//! - **a new value** (`send`, `send_replace`, `send_modify`, and `send_if_modified` when it
//!   modifies): `Send { msg }`, `msg` numbering the values; `send` with no receiver left is a
//!   lone `SendEnd { msg: 0, outcome: Disconnected }`.
//! - **waiting for a change** (`changed`, `wait_for`): `Recv { msg }` at once, or `RecvBegin`
//!   then `RecvEnd { msg, outcome }` (`Ok`, or `Disconnected` once every sender is gone), `msg`
//!   being the value seen. A wait dropped unfinished records `WaitCancel`.
//! - **disconnection**: the last `Sender` dropped, `ChanDisconnect { side: Sender }`; the last
//!   `Receiver` dropped, `ChanDisconnect { side: Receiver }`.
//!
//! Reading the value (`borrow`, `borrow_and_update`) is not recorded.

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::panic::Location;
use std::sync::Arc;

use ::tokio::sync::watch as tk;

use super::wait::{create, watched, Envelope, ReceiverEnd, SenderEnd};
use crate::event::{ChanFlavor, EventKind, MsgId, ObjectId, Outcome};
use crate::record::{self, CallSite};

/// tokio's watch error types.
pub mod error {
    pub use ::tokio::sync::watch::error::{RecvError, SendError};
}

use error::{RecvError, SendError};

/// Creates a watch channel holding `init`, like `tokio::sync::watch::channel`.
#[track_caller]
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = tk::channel(Envelope {
        msg: 0,
        value: init,
    });
    let (senders, receivers) = create(ChanFlavor::Bounded, 1, Location::caller());
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

/// A borrowed reference to the value, like `tokio::sync::watch::Ref`; holds a read lock.
pub struct Ref<'a, T> {
    inner: tk::Ref<'a, Envelope<T>>,
}

impl<T> Ref<'_, T> {
    /// True if the value had not been seen by this receiver when it was borrowed.
    pub fn has_changed(&self) -> bool {
        self.inner.has_changed()
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// The sending half, like `tokio::sync::watch::Sender`.
pub struct Sender<T> {
    // Declared (so dropped) before `inner`: the disconnect is recorded before it happens.
    end: Arc<SenderEnd>,
    inner: tk::Sender<Envelope<T>>,
}

impl<T> Sender<T> {
    fn record_send(&self, msg: MsgId, site: CallSite) {
        let chan = self.end.chan;
        record::emit(EventKind::Send { chan, msg }, Some(site));
    }

    /// Stores a new value and notifies the receivers; `Err` hands it back (unstored) if every
    /// receiver is gone.
    #[track_caller]
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if !record::enabled() {
            return self
                .inner
                .send(Envelope { msg: 0, value })
                .map_err(|SendError(e)| SendError(e.value));
        }
        let msg = self.end.next_msg();
        let result = self.inner.send(Envelope { msg, value });
        match result {
            Ok(()) => self.record_send(msg, Location::caller()),
            Err(_) => {
                let chan = self.end.chan;
                let outcome = Outcome::Disconnected;
                let kind = EventKind::SendEnd {
                    chan,
                    msg: 0,
                    outcome,
                };
                record::emit(kind, Some(Location::caller()));
            }
        }
        result.map_err(|SendError(e)| SendError(e.value))
    }

    /// Stores a new value even with no receiver, returning the previous one.
    #[track_caller]
    pub fn send_replace(&self, value: T) -> T {
        let msg = if record::enabled() {
            self.end.next_msg()
        } else {
            0
        };
        let old = self.inner.send_replace(Envelope { msg, value });
        if msg != 0 {
            self.record_send(msg, Location::caller());
        }
        old.value
    }

    /// Modifies the value in place and notifies the receivers.
    #[track_caller]
    pub fn send_modify<F: FnOnce(&mut T)>(&self, modify: F) {
        self.send_if_modified_at(
            |value| {
                modify(value);
                true
            },
            Location::caller(),
        );
    }

    /// Modifies the value in place; notifies the receivers (and records a send) only if
    /// `modify` returns true.
    #[track_caller]
    pub fn send_if_modified<F: FnOnce(&mut T) -> bool>(&self, modify: F) -> bool {
        self.send_if_modified_at(modify, Location::caller())
    }

    fn send_if_modified_at<F: FnOnce(&mut T) -> bool>(&self, modify: F, site: CallSite) -> bool {
        let recording = record::enabled();
        let mut msg = 0;
        let modified = self.inner.send_if_modified(|envelope| {
            let modified = modify(&mut envelope.value);
            if modified && recording {
                msg = self.end.next_msg();
                envelope.msg = msg;
            }
            modified
        });
        if msg != 0 {
            self.record_send(msg, site);
        }
        modified
    }

    /// Borrows the current value.
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            inner: self.inner.borrow(),
        }
    }

    /// True if every receiver is gone.
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Completes when every receiver is gone (not recorded).
    pub async fn closed(&self) {
        self.inner.closed().await
    }

    /// A new receiver; the current value counts as seen.
    pub fn subscribe(&self) -> Receiver<T> {
        Receiver {
            end: self.end.receiver_end(),
            inner: self.inner.subscribe(),
        }
    }

    /// The number of receivers.
    pub fn receiver_count(&self) -> usize {
        self.inner.receiver_count()
    }

    /// The number of senders.
    pub fn sender_count(&self) -> usize {
        self.inner.sender_count()
    }

    /// True if both senders belong to the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        self.inner.same_channel(&other.inner)
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

/// A receiving half, like `tokio::sync::watch::Receiver`.
pub struct Receiver<T> {
    // Declared (so dropped) before `inner`: the disconnect is recorded before it happens.
    end: Arc<ReceiverEnd>,
    inner: tk::Receiver<Envelope<T>>,
}

fn record_seen(chan: ObjectId, msg: Option<MsgId>, waited: bool, site: CallSite) {
    let kind = match (msg, waited) {
        (Some(msg), false) => EventKind::Recv { chan, msg },
        (Some(msg), true) => EventKind::RecvEnd {
            chan,
            msg,
            outcome: Outcome::Ok,
        },
        (None, _) => EventKind::RecvEnd {
            chan,
            msg: 0,
            outcome: Outcome::Disconnected,
        },
    };
    record::emit(kind, Some(site));
}

impl<T> Receiver<T> {
    /// Waits until a value this receiver has not seen is stored; `Err` once every sender is
    /// gone.
    #[track_caller]
    pub fn changed(&mut self) -> impl Future<Output = Result<(), RecvError>> + '_ {
        let site = Location::caller();
        async move {
            if !record::enabled() {
                return self.inner.changed().await;
            }
            let chan = self.end.chan;
            let begin = EventKind::RecvBegin { chan };
            let (result, waited) = watched(self.inner.changed(), chan, begin, site).await;
            let msg = result.is_ok().then(|| self.inner.borrow().msg);
            record_seen(chan, msg, waited, site);
            result
        }
    }

    /// Waits until the value satisfies `f` (checking the current value first) and borrows it.
    #[track_caller]
    pub fn wait_for<'a>(
        &'a mut self,
        mut f: impl FnMut(&T) -> bool + 'a,
    ) -> impl Future<Output = Result<Ref<'a, T>, RecvError>> + 'a {
        let site = Location::caller();
        async move {
            let check = move |envelope: &Envelope<T>| f(&envelope.value);
            if !record::enabled() {
                return self.inner.wait_for(check).await.map(|inner| Ref { inner });
            }
            let chan = self.end.chan;
            let begin = EventKind::RecvBegin { chan };
            let (result, waited) = watched(self.inner.wait_for(check), chan, begin, site).await;
            record_seen(chan, result.as_ref().ok().map(|r| r.msg), waited, site);
            result.map(|inner| Ref { inner })
        }
    }

    /// Borrows the current value without marking it seen.
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            inner: self.inner.borrow(),
        }
    }

    /// Borrows the current value and marks it seen.
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        Ref {
            inner: self.inner.borrow_and_update(),
        }
    }

    /// True if the value has not been seen; `Err` once every sender is gone.
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        self.inner.has_changed()
    }

    /// Marks the value as not seen.
    pub fn mark_changed(&mut self) {
        self.inner.mark_changed()
    }

    /// Marks the value as seen.
    pub fn mark_unchanged(&mut self) {
        self.inner.mark_unchanged()
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

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        Receiver {
            end: Arc::clone(&self.end),
            inner: self.inner.clone(),
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Receiver { .. }")
    }
}
