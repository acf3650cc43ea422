//! `tokio::sync::mpsc`, recorded: `channel`, `unbounded_channel` and their ends, with tokio's
//! semantics and error types (re-exported in [`error`]).
//!
//! What is recorded (each at the caller's line, on the task that called):
//! - **creation**: `ChanCreate { flavor: Bounded, cap }` or `{ flavor: Unbounded, cap: 0 }`.
//! - **send** (`send`, `send_timeout`, `blocking_send`): done at once, `Send { msg }`; channel
//!   full, `SendBegin` then `SendEnd { msg, outcome }` (`Ok`, `Timeout`, `Disconnected`); a send
//!   that fails at once because the receiver is gone is a lone `SendEnd { msg: 0, outcome:
//!   Disconnected }`. A send future dropped while it waits records `WaitCancel`.
//! - **receive** (`recv`, `blocking_recv`, `poll_recv`): the same shape with `Recv`,
//!   `RecvBegin`, `RecvEnd`; `None` (all senders gone, channel empty) is `RecvEnd { msg: 0,
//!   outcome: Disconnected }`.
//! - **try_send / try_recv**: one `TrySend` / `TryRecv` with `Ok`, `Full`, `Empty` or
//!   `Disconnected`.
//! - **disconnection**: the last `Sender` dropped, `ChanDisconnect { side: Sender }`; the
//!   `Receiver` dropped or closed, `ChanDisconnect { side: Receiver }`.
//!
//! Not wrapped: `reserve*`/`Permit`, `WeakSender`, `recv_many`; use `tokio::sync::mpsc` for
//! those (unrecorded).

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use ::tokio::sync::mpsc as tk;

use super::wait::{create, poll_recorded, watched, Envelope, ReceiverEnd, SenderEnd};
use crate::event::{ChanFlavor, EventKind, MsgId, ObjectId, Outcome};
use crate::record::{self, CallSite};

/// tokio's mpsc error types, which hand the unsent value back.
pub mod error {
    pub use ::tokio::sync::mpsc::error::{SendError, SendTimeoutError, TryRecvError, TrySendError};
}

use error::{SendError, SendTimeoutError, TryRecvError, TrySendError};

/// Creates a bounded channel with room for `buffer` messages, like `tokio::sync::mpsc::channel`.
///
/// # Panics
/// Like tokio, if `buffer` is 0.
#[track_caller]
pub fn channel<T>(buffer: usize) -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = tk::channel(buffer);
    let (senders, receiver) = create(ChanFlavor::Bounded, buffer, Location::caller());
    (
        Sender {
            end: senders,
            inner: tx,
        },
        Receiver::new(receiver, rx),
    )
}

/// Creates an unbounded channel, like `tokio::sync::mpsc::unbounded_channel`.
#[track_caller]
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let (tx, rx) = tk::unbounded_channel();
    let (senders, receiver) = create(ChanFlavor::Unbounded, 0, Location::caller());
    (
        UnboundedSender {
            end: senders,
            inner: tx,
        },
        UnboundedReceiver(Receiver::new(receiver, rx)),
    )
}

fn untracked<T>(value: T) -> Envelope<T> {
    Envelope { msg: 0, value }
}

/// Records how a send that may have waited ended.
fn record_send(chan: ObjectId, msg: MsgId, outcome: Outcome, waited: bool, site: CallSite) {
    let kind = match (outcome, waited) {
        (Outcome::Ok, false) => EventKind::Send { chan, msg },
        (Outcome::Ok, true) => EventKind::SendEnd { chan, msg, outcome },
        (outcome, _) => EventKind::SendEnd {
            chan,
            msg: 0,
            outcome,
        },
    };
    record::emit(kind, Some(site));
}

/// Records how a receive that may have waited ended (`None`: every sender is gone).
fn record_recv(chan: ObjectId, msg: Option<MsgId>, waited: bool, site: CallSite) {
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

// ---------------------------------------------------------------------------------------------
// Bounded
// ---------------------------------------------------------------------------------------------

/// The sending half of a bounded channel, like `tokio::sync::mpsc::Sender`.
pub struct Sender<T> {
    // Declared (so dropped) before `inner`: the disconnect is recorded before it happens.
    end: Arc<SenderEnd>,
    inner: tk::Sender<Envelope<T>>,
}

impl<T> Sender<T> {
    /// Sends, waiting for capacity; `Err` hands the value back if the receiver is gone.
    #[track_caller]
    pub fn send(&self, value: T) -> impl Future<Output = Result<(), SendError<T>>> + '_ {
        let site = Location::caller();
        async move {
            if !record::enabled() {
                return self
                    .inner
                    .send(untracked(value))
                    .await
                    .map_err(|SendError(e)| SendError(e.value));
            }
            let chan = self.end.chan;
            let msg = self.end.next_msg();
            let begin = EventKind::SendBegin { chan };
            let send = self.inner.send(Envelope { msg, value });
            let (result, waited) = watched(send, chan, begin, site).await;
            let outcome = match result {
                Ok(()) => Outcome::Ok,
                Err(_) => Outcome::Disconnected,
            };
            record_send(chan, msg, outcome, waited, site);
            result.map_err(|SendError(e)| SendError(e.value))
        }
    }

    /// Sends, waiting at most `timeout` for capacity.
    #[track_caller]
    pub fn send_timeout(
        &self,
        value: T,
        timeout: Duration,
    ) -> impl Future<Output = Result<(), SendTimeoutError<T>>> + '_ {
        let site = Location::caller();
        async move {
            let unwrap = |e: SendTimeoutError<Envelope<T>>| match e {
                SendTimeoutError::Timeout(e) => SendTimeoutError::Timeout(e.value),
                SendTimeoutError::Closed(e) => SendTimeoutError::Closed(e.value),
            };
            if !record::enabled() {
                return self
                    .inner
                    .send_timeout(untracked(value), timeout)
                    .await
                    .map_err(unwrap);
            }
            let chan = self.end.chan;
            let msg = self.end.next_msg();
            let begin = EventKind::SendBegin { chan };
            let send = self.inner.send_timeout(Envelope { msg, value }, timeout);
            let (result, waited) = watched(send, chan, begin, site).await;
            let outcome = match result {
                Ok(()) => Outcome::Ok,
                Err(SendTimeoutError::Timeout(_)) => Outcome::Timeout,
                Err(SendTimeoutError::Closed(_)) => Outcome::Disconnected,
            };
            record_send(chan, msg, outcome, waited, site);
            result.map_err(unwrap)
        }
    }

    /// Sends without waiting: `Full` or `Closed` hand the value back.
    #[track_caller]
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let unwrap = |e: TrySendError<Envelope<T>>| match e {
            TrySendError::Full(e) => TrySendError::Full(e.value),
            TrySendError::Closed(e) => TrySendError::Closed(e.value),
        };
        if !record::enabled() {
            return self.inner.try_send(untracked(value)).map_err(unwrap);
        }
        let chan = self.end.chan;
        let msg = self.end.next_msg();
        let result = self.inner.try_send(Envelope { msg, value });
        let (msg, outcome) = match &result {
            Ok(()) => (msg, Outcome::Ok),
            Err(TrySendError::Full(_)) => (0, Outcome::Full),
            Err(TrySendError::Closed(_)) => (0, Outcome::Disconnected),
        };
        record::emit(
            EventKind::TrySend { chan, msg, outcome },
            Some(Location::caller()),
        );
        result.map_err(unwrap)
    }

    /// Sends from outside the runtime, blocking the thread while the channel is full.
    ///
    /// # Panics
    /// Like tokio, if called inside an asynchronous execution context.
    #[track_caller]
    pub fn blocking_send(&self, value: T) -> Result<(), SendError<T>> {
        if !record::enabled() {
            return self
                .inner
                .blocking_send(untracked(value))
                .map_err(|SendError(e)| SendError(e.value));
        }
        let site = Location::caller();
        let chan = self.end.chan;
        let msg = self.end.next_msg();
        match self.inner.try_send(Envelope { msg, value }) {
            Ok(()) => {
                record_send(chan, msg, Outcome::Ok, false, site);
                Ok(())
            }
            Err(TrySendError::Closed(e)) => {
                record_send(chan, msg, Outcome::Disconnected, false, site);
                Err(SendError(e.value))
            }
            Err(TrySendError::Full(envelope)) => {
                record::emit(EventKind::SendBegin { chan }, Some(site));
                let result = self.inner.blocking_send(envelope);
                let outcome = match result {
                    Ok(()) => Outcome::Ok,
                    Err(_) => Outcome::Disconnected,
                };
                record_send(chan, msg, outcome, true, site);
                result.map_err(|SendError(e)| SendError(e.value))
            }
        }
    }

    /// Completes when the receiver has been dropped or closed (not recorded).
    pub async fn closed(&self) {
        self.inner.closed().await
    }

    /// True if the receiver has been dropped or closed.
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// The free capacity now.
    pub fn capacity(&self) -> usize {
        self.inner.capacity()
    }

    /// The capacity the channel was created with.
    pub fn max_capacity(&self) -> usize {
        self.inner.max_capacity()
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

/// The receiving half of a bounded channel, like `tokio::sync::mpsc::Receiver`.
pub struct Receiver<T> {
    /// `None` once `close` recorded the disconnect (so dropping does not record it again).
    /// Declared before `inner`: the disconnect is recorded before it happens.
    end: Option<Arc<ReceiverEnd>>,
    chan: ObjectId,
    /// A `poll_recv` recorded `RecvBegin` and has not yet been ready.
    polled_waiting: bool,
    inner: ReceiverInner<T>,
}

/// The two tokio receivers behind [`Receiver`] and [`UnboundedReceiver`].
enum ReceiverInner<T> {
    Bounded(tk::Receiver<Envelope<T>>),
    Unbounded(tk::UnboundedReceiver<Envelope<T>>),
}

impl<T> From<tk::Receiver<Envelope<T>>> for ReceiverInner<T> {
    fn from(rx: tk::Receiver<Envelope<T>>) -> Self {
        ReceiverInner::Bounded(rx)
    }
}

impl<T> From<tk::UnboundedReceiver<Envelope<T>>> for ReceiverInner<T> {
    fn from(rx: tk::UnboundedReceiver<Envelope<T>>) -> Self {
        ReceiverInner::Unbounded(rx)
    }
}

macro_rules! on_inner {
    ($inner:expr, $rx:ident => $body:expr) => {
        match $inner {
            ReceiverInner::Bounded($rx) => $body,
            ReceiverInner::Unbounded($rx) => $body,
        }
    };
}

impl<T> Receiver<T> {
    fn new(end: Arc<ReceiverEnd>, inner: impl Into<ReceiverInner<T>>) -> Self {
        Receiver {
            chan: end.chan,
            end: Some(end),
            polled_waiting: false,
            inner: inner.into(),
        }
    }

    /// Receives the next message, waiting for one; `None` once the channel is empty and every
    /// sender is gone.
    #[track_caller]
    pub fn recv(&mut self) -> impl Future<Output = Option<T>> + '_ {
        let site = Location::caller();
        async move {
            if !record::enabled() {
                return on_inner!(&mut self.inner, rx => rx.recv().await).map(|e| e.value);
            }
            let chan = self.chan;
            let begin = EventKind::RecvBegin { chan };
            let (received, waited) = match &mut self.inner {
                ReceiverInner::Bounded(rx) => watched(rx.recv(), chan, begin, site).await,
                ReceiverInner::Unbounded(rx) => watched(rx.recv(), chan, begin, site).await,
            };
            record_recv(chan, received.as_ref().map(|e| e.msg), waited, site);
            received.map(|e| e.value)
        }
    }

    /// Receives without waiting: `Empty`, or `Disconnected` once empty with every sender gone.
    #[track_caller]
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let result = on_inner!(&mut self.inner, rx => rx.try_recv());
        if record::enabled() {
            let (msg, outcome) = match &result {
                Ok(e) => (e.msg, Outcome::Ok),
                Err(TryRecvError::Empty) => (0, Outcome::Empty),
                Err(TryRecvError::Disconnected) => (0, Outcome::Disconnected),
            };
            let chan = self.chan;
            record::emit(
                EventKind::TryRecv { chan, msg, outcome },
                Some(Location::caller()),
            );
        }
        result.map(|e| e.value)
    }

    /// Receives from outside the runtime, blocking the thread while the channel is empty.
    ///
    /// # Panics
    /// Like tokio, if called inside an asynchronous execution context.
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Option<T> {
        if !record::enabled() {
            return on_inner!(&mut self.inner, rx => rx.blocking_recv()).map(|e| e.value);
        }
        let site = Location::caller();
        let chan = self.chan;
        let (received, waited) = match on_inner!(&mut self.inner, rx => rx.try_recv()) {
            Ok(e) => (Some(e), false),
            Err(TryRecvError::Disconnected) => (None, false),
            Err(TryRecvError::Empty) => {
                record::emit(EventKind::RecvBegin { chan }, Some(site));
                (on_inner!(&mut self.inner, rx => rx.blocking_recv()), true)
            }
        };
        record_recv(chan, received.as_ref().map(|e| e.msg), waited, site);
        received.map(|e| e.value)
    }

    /// Polls for the next message (for hand-written futures and streams); records a wait on
    /// the first `Pending` and its end when ready.
    #[track_caller]
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let poll = on_inner!(&mut self.inner, rx => rx.poll_recv(cx));
        if !record::enabled() {
            self.polled_waiting = false;
            return poll.map(|r| r.map(|e| e.value));
        }
        let site = Location::caller();
        let chan = self.chan;
        let begin = EventKind::RecvBegin { chan };
        match poll_recorded(poll, &mut self.polled_waiting, begin, site) {
            Poll::Pending => Poll::Pending,
            Poll::Ready((received, waited)) => {
                record_recv(chan, received.as_ref().map(|e| e.msg), waited, site);
                Poll::Ready(received.map(|e| e.value))
            }
        }
    }

    /// Closes the channel for senders (messages already sent can still be received); records
    /// the receiver's side gone.
    pub fn close(&mut self) {
        on_inner!(&mut self.inner, rx => rx.close());
        self.end = None;
    }

    /// True if the channel is closed (receiver closed, or every sender gone).
    pub fn is_closed(&self) -> bool {
        on_inner!(&self.inner, rx => rx.is_closed())
    }

    /// True if no message is waiting.
    pub fn is_empty(&self) -> bool {
        on_inner!(&self.inner, rx => rx.is_empty())
    }

    /// The number of messages waiting.
    pub fn len(&self) -> usize {
        on_inner!(&self.inner, rx => rx.len())
    }

    /// The free capacity now (`usize::MAX` behind an [`UnboundedReceiver`]).
    pub fn capacity(&self) -> usize {
        match &self.inner {
            ReceiverInner::Bounded(rx) => rx.capacity(),
            ReceiverInner::Unbounded(_) => usize::MAX,
        }
    }

    /// The capacity the channel was created with (`usize::MAX` behind an
    /// [`UnboundedReceiver`]).
    pub fn max_capacity(&self) -> usize {
        match &self.inner {
            ReceiverInner::Bounded(rx) => rx.max_capacity(),
            ReceiverInner::Unbounded(_) => usize::MAX,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if self.polled_waiting {
            let object = self.chan;
            record::emit(EventKind::WaitCancel { object }, None);
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Receiver { .. }")
    }
}

// ---------------------------------------------------------------------------------------------
// Unbounded
// ---------------------------------------------------------------------------------------------

/// The sending half of an unbounded channel, like `tokio::sync::mpsc::UnboundedSender`.
pub struct UnboundedSender<T> {
    // Declared (so dropped) before `inner`: the disconnect is recorded before it happens.
    end: Arc<SenderEnd>,
    inner: tk::UnboundedSender<Envelope<T>>,
}

impl<T> UnboundedSender<T> {
    /// Sends without ever waiting; `Err` hands the value back if the receiver is gone.
    #[track_caller]
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if !record::enabled() {
            return self
                .inner
                .send(untracked(value))
                .map_err(|SendError(e)| SendError(e.value));
        }
        let chan = self.end.chan;
        let msg = self.end.next_msg();
        let result = self.inner.send(Envelope { msg, value });
        let outcome = match result {
            Ok(()) => Outcome::Ok,
            Err(_) => Outcome::Disconnected,
        };
        record_send(chan, msg, outcome, false, Location::caller());
        result.map_err(|SendError(e)| SendError(e.value))
    }

    /// Completes when the receiver has been dropped or closed (not recorded).
    pub async fn closed(&self) {
        self.inner.closed().await
    }

    /// True if the receiver has been dropped or closed.
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// True if both senders belong to the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        self.inner.same_channel(&other.inner)
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        UnboundedSender {
            end: Arc::clone(&self.end),
            inner: self.inner.clone(),
        }
    }
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("UnboundedSender { .. }")
    }
}

/// The receiving half of an unbounded channel, like `tokio::sync::mpsc::UnboundedReceiver`.
pub struct UnboundedReceiver<T>(Receiver<T>);

impl<T> UnboundedReceiver<T> {
    /// Receives the next message, waiting for one; `None` once the channel is empty and every
    /// sender is gone.
    #[track_caller]
    pub fn recv(&mut self) -> impl Future<Output = Option<T>> + '_ {
        self.0.recv()
    }

    /// Receives without waiting: `Empty`, or `Disconnected` once empty with every sender gone.
    #[track_caller]
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.0.try_recv()
    }

    /// Receives from outside the runtime, blocking the thread while the channel is empty.
    ///
    /// # Panics
    /// Like tokio, if called inside an asynchronous execution context.
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Option<T> {
        self.0.blocking_recv()
    }

    /// Polls for the next message; see [`Receiver::poll_recv`].
    #[track_caller]
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.0.poll_recv(cx)
    }

    /// Closes the channel for senders; see [`Receiver::close`].
    pub fn close(&mut self) {
        self.0.close()
    }

    /// True if the channel is closed (receiver closed, or every sender gone).
    pub fn is_closed(&self) -> bool {
        self.0.is_closed()
    }

    /// True if no message is waiting.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The number of messages waiting.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl<T> fmt::Debug for UnboundedReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("UnboundedReceiver { .. }")
    }
}
