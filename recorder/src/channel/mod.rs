//! Instrumented channels: crossbeam-channel's `bounded`, `unbounded`, `Sender`, `Receiver` and
//! `select!`, with every send, receive and disconnection recorded.
//!
//! Semantics and error types are crossbeam-channel's (the error types are re-exported from it
//! and hand the user's value back). Underneath, a channel of `T` is a crossbeam channel of an
//! envelope `(message id, T)`, so the trace can match each send to its receive exactly. Message
//! ids count from 1 per channel and are only drawn while recording (0 = not recorded).
//!
//! What is recorded (each at the caller's line):
//!
//! - **creation**: `ChanCreate { flavor, cap }` (`bounded(0)` is `Rendezvous`).
//! - **send / send_timeout / send_deadline**: the send is tried first. Done at once: `Send { msg }`.
//!   Channel full (or, for a rendezvous channel, no receiver waiting): `SendBegin`, the blocking
//!   send, then `SendEnd { msg, outcome }` with `Ok`, `Timeout` or `Disconnected`. A send that
//!   fails at once because every receiver is gone records `SendEnd { msg: 0, outcome:
//!   Disconnected }` alone — `Send` has no outcome, and no wait happened, so there is no
//!   `SendBegin`.
//! - **recv / recv_timeout / recv_deadline** (and `iter`, `into_iter`): the same shape with
//!   `Recv`, `RecvBegin`, `RecvEnd`; an immediate failure on a disconnected, empty channel is a
//!   lone `RecvEnd { msg: 0, outcome: Disconnected }`.
//! - **try_send / try_recv** (and `try_iter`): one `TrySend` / `TryRecv` with `Ok`, `Full`,
//!   `Empty` or `Disconnected`.
//! - In every `*End` and `Try*` event `msg` is the delivered message's id, and 0 when nothing
//!   was delivered.
//! - **disconnection**: dropping the last `Sender` records `ChanDisconnect { side: Sender }`,
//!   dropping the last `Receiver` `ChanDisconnect { side: Receiver }`, just before crossbeam
//!   disconnects, so it precedes the wake-ups it causes.
//! - **select!**: see [`select!`](crate::select).
//!
//! Each end counts its clones with an `Arc` of its own (the senders' one also holds the message
//! counter): the last drop of that `Arc` is exactly the last drop of that end, without a second
//! counter next to crossbeam's. When not recording, an operation costs one relaxed load over
//! crossbeam's plus moving the 8-byte message id along with the value.
//!
//! Not wrapped: crossbeam's `after`, `at`, `tick`, `never` and the `Select` builder; use
//! `default(timeout)` arms in [`select!`](crate::select) for timeouts.

mod select;

use crate::event::{ChanFlavor, EventKind, MsgId, ObjectId, Outcome, Side};
use crate::record::{self, CallSite};
use crossbeam_channel as cb;
use std::fmt;
use std::iter::FusedIterator;
use std::panic::Location;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use crate::select;
pub use cb::{
    RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError,
};

/// Items the expansion of [`select!`](crate::select) refers to; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use super::select::Selection;
}

/// A value in transit, tagged with the id that matches its send to its receive.
struct Envelope<T> {
    msg: MsgId,
    value: T,
}

/// What all senders of one channel share. Dropped with the last sender.
struct SenderShared {
    chan: ObjectId,
    /// The last message id handed out on this channel.
    last_msg: AtomicU64,
}

impl Drop for SenderShared {
    fn drop(&mut self) {
        if record::enabled() {
            let chan = self.chan;
            record::emit(
                EventKind::ChanDisconnect {
                    chan,
                    side: Side::Sender,
                },
                None,
            );
        }
    }
}

/// What all receivers of one channel share. Dropped with the last receiver.
struct ReceiverShared {
    chan: ObjectId,
}

impl Drop for ReceiverShared {
    fn drop(&mut self) {
        if record::enabled() {
            let chan = self.chan;
            record::emit(
                EventKind::ChanDisconnect {
                    chan,
                    side: Side::Receiver,
                },
                None,
            );
        }
    }
}

/// Creates a channel of capacity `cap` (0 = rendezvous), like `crossbeam_channel::bounded`.
#[track_caller]
pub fn bounded<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    let (sender, receiver) = cb::bounded(cap);
    let flavor = if cap == 0 {
        ChanFlavor::Rendezvous
    } else {
        ChanFlavor::Bounded
    };
    let cap = u64::try_from(cap).unwrap_or(u64::MAX);
    wrap(sender, receiver, flavor, cap, Location::caller())
}

/// Creates a channel of unbounded capacity, like `crossbeam_channel::unbounded`.
#[track_caller]
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    let (sender, receiver) = cb::unbounded();
    wrap(
        sender,
        receiver,
        ChanFlavor::Unbounded,
        0,
        Location::caller(),
    )
}

fn wrap<T>(
    sender: cb::Sender<Envelope<T>>,
    receiver: cb::Receiver<Envelope<T>>,
    flavor: ChanFlavor,
    cap: u64,
    site: CallSite,
) -> (Sender<T>, Receiver<T>) {
    let chan = record::new_object_id();
    if record::enabled() {
        record::emit(EventKind::ChanCreate { chan, flavor, cap }, Some(site));
    }
    let sender = Sender {
        shared: Arc::new(SenderShared {
            chan,
            last_msg: AtomicU64::new(0),
        }),
        inner: sender,
    };
    let receiver = Receiver {
        shared: Arc::new(ReceiverShared { chan }),
        inner: receiver,
    };
    (sender, receiver)
}

fn unwrap_try_send<T>(error: TrySendError<Envelope<T>>) -> TrySendError<T> {
    match error {
        TrySendError::Full(envelope) => TrySendError::Full(envelope.value),
        TrySendError::Disconnected(envelope) => TrySendError::Disconnected(envelope.value),
    }
}

fn unwrap_send_timeout<T>(error: SendTimeoutError<Envelope<T>>) -> SendTimeoutError<T> {
    match error {
        SendTimeoutError::Timeout(envelope) => SendTimeoutError::Timeout(envelope.value),
        SendTimeoutError::Disconnected(envelope) => SendTimeoutError::Disconnected(envelope.value),
    }
}

fn send_outcome<T>(result: &Result<(), SendTimeoutError<T>>) -> Outcome {
    match result {
        Ok(()) => Outcome::Ok,
        Err(SendTimeoutError::Timeout(_)) => Outcome::Timeout,
        Err(SendTimeoutError::Disconnected(_)) => Outcome::Disconnected,
    }
}

/// The sending side of a channel, like `crossbeam_channel::Sender`.
pub struct Sender<T> {
    // Declared (so dropped) before `inner`: the disconnect is recorded before it happens.
    shared: Arc<SenderShared>,
    inner: cb::Sender<Envelope<T>>,
}

impl<T> Sender<T> {
    fn chan(&self) -> ObjectId {
        self.shared.chan
    }

    /// A fresh message id for this channel (only drawn while recording).
    fn next_msg(&self) -> MsgId {
        self.shared.last_msg.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Sends without blocking: `Full` if the channel is full (or no receiver waits on a
    /// rendezvous channel), `Disconnected` if every receiver is gone.
    #[track_caller]
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        if !record::enabled() {
            return self
                .inner
                .try_send(Envelope { msg: 0, value })
                .map_err(unwrap_try_send);
        }
        let msg = self.next_msg();
        let result = self.inner.try_send(Envelope { msg, value });
        let (msg, outcome) = match &result {
            Ok(()) => (msg, Outcome::Ok),
            Err(TrySendError::Full(_)) => (0, Outcome::Full),
            Err(TrySendError::Disconnected(_)) => (0, Outcome::Disconnected),
        };
        let chan = self.chan();
        record::emit(
            EventKind::TrySend { chan, msg, outcome },
            Some(Location::caller()),
        );
        result.map_err(unwrap_try_send)
    }

    /// Sends, blocking while the channel is full; `Err` hands the value back if every receiver
    /// is gone.
    #[track_caller]
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if !record::enabled() {
            return self
                .inner
                .send(Envelope { msg: 0, value })
                .map_err(|SendError(envelope)| SendError(envelope.value));
        }
        // Without a deadline the only possible error is `Disconnected`.
        self.send_recorded(value, None, Location::caller())
            .map_err(|error| SendError(error.into_inner()))
    }

    /// Sends, blocking for at most `timeout` while the channel is full.
    #[track_caller]
    pub fn send_timeout(&self, value: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        if !record::enabled() {
            return self
                .inner
                .send_timeout(Envelope { msg: 0, value }, timeout)
                .map_err(unwrap_send_timeout);
        }
        // Like crossbeam: a timeout too large to represent as a deadline means "no deadline".
        let deadline = Instant::now().checked_add(timeout);
        self.send_recorded(value, deadline, Location::caller())
    }

    /// Sends, blocking until `deadline` at the latest while the channel is full.
    #[track_caller]
    pub fn send_deadline(&self, value: T, deadline: Instant) -> Result<(), SendTimeoutError<T>> {
        if !record::enabled() {
            return self
                .inner
                .send_deadline(Envelope { msg: 0, value }, deadline)
                .map_err(unwrap_send_timeout);
        }
        self.send_recorded(value, Some(deadline), Location::caller())
    }

    /// The recorded send: try first, wait (until `deadline`, or for ever) only if full.
    fn send_recorded(
        &self,
        value: T,
        deadline: Option<Instant>,
        site: CallSite,
    ) -> Result<(), SendTimeoutError<T>> {
        let chan = self.chan();
        let msg = self.next_msg();
        match self.inner.try_send(Envelope { msg, value }) {
            Ok(()) => {
                record::emit(EventKind::Send { chan, msg }, Some(site));
                Ok(())
            }
            Err(TrySendError::Disconnected(envelope)) => {
                let outcome = Outcome::Disconnected;
                record::emit(
                    EventKind::SendEnd {
                        chan,
                        msg: 0,
                        outcome,
                    },
                    Some(site),
                );
                Err(SendTimeoutError::Disconnected(envelope.value))
            }
            Err(TrySendError::Full(envelope)) => {
                record::emit(EventKind::SendBegin { chan }, Some(site));
                let result = match deadline {
                    Some(deadline) => self.inner.send_deadline(envelope, deadline),
                    None => self
                        .inner
                        .send(envelope)
                        .map_err(|SendError(envelope)| SendTimeoutError::Disconnected(envelope)),
                };
                let outcome = send_outcome(&result);
                let msg = if outcome == Outcome::Ok { msg } else { 0 };
                record::emit(EventKind::SendEnd { chan, msg, outcome }, Some(site));
                result.map_err(unwrap_send_timeout)
            }
        }
    }

    /// True if the channel holds no message.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// True if the channel is full (always for a rendezvous channel, never for an unbounded
    /// one).
    pub fn is_full(&self) -> bool {
        self.inner.is_full()
    }

    /// The number of messages in the channel.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// The capacity (`None` for an unbounded channel).
    pub fn capacity(&self) -> Option<usize> {
        self.inner.capacity()
    }

    /// True if both senders belong to the same channel.
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        self.inner.same_channel(&other.inner)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
            inner: self.inner.clone(),
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Sender { .. }")
    }
}

/// The receiving side of a channel, like `crossbeam_channel::Receiver`.
pub struct Receiver<T> {
    // Declared (so dropped) before `inner`: the disconnect is recorded before it happens.
    shared: Arc<ReceiverShared>,
    inner: cb::Receiver<Envelope<T>>,
}

impl<T> Receiver<T> {
    fn chan(&self) -> ObjectId {
        self.shared.chan
    }

    /// Receives without blocking: `Empty` if there is no message, `Disconnected` if the
    /// channel is empty and every sender is gone.
    #[track_caller]
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.try_recv_at(Location::caller())
    }

    fn try_recv_at(&self, site: CallSite) -> Result<T, TryRecvError> {
        let result = self.inner.try_recv();
        if record::enabled() {
            let (msg, outcome) = match &result {
                Ok(envelope) => (envelope.msg, Outcome::Ok),
                Err(TryRecvError::Empty) => (0, Outcome::Empty),
                Err(TryRecvError::Disconnected) => (0, Outcome::Disconnected),
            };
            let chan = self.chan();
            record::emit(EventKind::TryRecv { chan, msg, outcome }, Some(site));
        }
        result.map(|envelope| envelope.value)
    }

    /// Receives, blocking while the channel is empty; `Err` once it is empty and every sender
    /// is gone.
    #[track_caller]
    pub fn recv(&self) -> Result<T, RecvError> {
        self.recv_at(Location::caller())
    }

    fn recv_at(&self, site: CallSite) -> Result<T, RecvError> {
        if !record::enabled() {
            return self.inner.recv().map(|envelope| envelope.value);
        }
        // Without a deadline the only possible error is `Disconnected`.
        self.recv_recorded(None, site).map_err(|_| RecvError)
    }

    /// Receives, blocking for at most `timeout` while the channel is empty.
    #[track_caller]
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        if !record::enabled() {
            return self
                .inner
                .recv_timeout(timeout)
                .map(|envelope| envelope.value);
        }
        // Like crossbeam: a timeout too large to represent as a deadline means "no deadline".
        let deadline = Instant::now().checked_add(timeout);
        self.recv_recorded(deadline, Location::caller())
    }

    /// Receives, blocking until `deadline` at the latest while the channel is empty.
    #[track_caller]
    pub fn recv_deadline(&self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        if !record::enabled() {
            return self
                .inner
                .recv_deadline(deadline)
                .map(|envelope| envelope.value);
        }
        self.recv_recorded(Some(deadline), Location::caller())
    }

    /// The recorded receive: try first, wait (until `deadline`, or for ever) only if empty.
    fn recv_recorded(
        &self,
        deadline: Option<Instant>,
        site: CallSite,
    ) -> Result<T, RecvTimeoutError> {
        let chan = self.chan();
        match self.inner.try_recv() {
            Ok(envelope) => {
                let msg = envelope.msg;
                record::emit(EventKind::Recv { chan, msg }, Some(site));
                Ok(envelope.value)
            }
            Err(TryRecvError::Disconnected) => {
                let outcome = Outcome::Disconnected;
                record::emit(
                    EventKind::RecvEnd {
                        chan,
                        msg: 0,
                        outcome,
                    },
                    Some(site),
                );
                Err(RecvTimeoutError::Disconnected)
            }
            Err(TryRecvError::Empty) => {
                record::emit(EventKind::RecvBegin { chan }, Some(site));
                let result = match deadline {
                    Some(deadline) => self.inner.recv_deadline(deadline),
                    None => self
                        .inner
                        .recv()
                        .map_err(|RecvError| RecvTimeoutError::Disconnected),
                };
                let (msg, outcome) = match &result {
                    Ok(envelope) => (envelope.msg, Outcome::Ok),
                    Err(RecvTimeoutError::Timeout) => (0, Outcome::Timeout),
                    Err(RecvTimeoutError::Disconnected) => (0, Outcome::Disconnected),
                };
                record::emit(EventKind::RecvEnd { chan, msg, outcome }, Some(site));
                result.map(|envelope| envelope.value)
            }
        }
    }

    /// A blocking iterator over received messages; ends when the channel is empty and
    /// disconnected. Each receive is recorded at the line that called `iter`.
    #[track_caller]
    pub fn iter(&self) -> Iter<'_, T> {
        Iter {
            receiver: self,
            site: Location::caller(),
        }
    }

    /// A non-blocking iterator over the messages available now. Each attempt, including the
    /// last one that finds nothing, is a `TryRecv` at the line that called `try_iter`.
    #[track_caller]
    pub fn try_iter(&self) -> TryIter<'_, T> {
        TryIter {
            receiver: self,
            site: Location::caller(),
        }
    }

    /// True if the channel holds no message.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// True if the channel is full (always for a rendezvous channel, never for an unbounded
    /// one).
    pub fn is_full(&self) -> bool {
        self.inner.is_full()
    }

    /// The number of messages in the channel.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// The capacity (`None` for an unbounded channel).
    pub fn capacity(&self) -> Option<usize> {
        self.inner.capacity()
    }

    /// True if both receivers belong to the same channel.
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        self.inner.same_channel(&other.inner)
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
            inner: self.inner.clone(),
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Receiver { .. }")
    }
}

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;

    #[track_caller]
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;

    #[track_caller]
    fn into_iter(self) -> Self::IntoIter {
        IntoIter {
            receiver: self,
            site: Location::caller(),
        }
    }
}

/// A blocking iterator over a receiver's messages (see [`Receiver::iter`]).
pub struct Iter<'a, T> {
    receiver: &'a Receiver<T>,
    site: CallSite,
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.receiver.recv_at(self.site).ok()
    }
}

impl<T> FusedIterator for Iter<'_, T> {}

impl<T> fmt::Debug for Iter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Iter { .. }")
    }
}

/// A non-blocking iterator over a receiver's available messages (see [`Receiver::try_iter`]).
pub struct TryIter<'a, T> {
    receiver: &'a Receiver<T>,
    site: CallSite,
}

impl<T> Iterator for TryIter<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.receiver.try_recv_at(self.site).ok()
    }
}

impl<T> fmt::Debug for TryIter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("TryIter { .. }")
    }
}

/// A blocking iterator that owns its receiver (see `IntoIterator for Receiver`).
pub struct IntoIter<T> {
    receiver: Receiver<T>,
    site: CallSite,
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.receiver.recv_at(self.site).ok()
    }
}

impl<T> FusedIterator for IntoIter<T> {}

impl<T> fmt::Debug for IntoIter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("IntoIter { .. }")
    }
}
