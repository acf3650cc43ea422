//! `tokio::sync::Notify`, recorded as a channel of capacity 1 that carries permits.
//!
//! What is recorded (each at the caller's line, on the task that called):
//! - **creation**: `ChanCreate { flavor: Bounded, cap: 1 }` (a `Notify` stores at most one
//!   permit).
//! - **notification** (`notify_one`, `notify_last`, `notify_waiters`): `Send { msg }`, `msg`
//!   numbering the notifications. It never waits. (`notify_waiters` wakes every current waiter
//!   and stores no permit; `notify_one` stores one if nobody waits.)
//! - **waiting** (awaiting [`Notified`]): `Recv { msg }` if a permit was there, or `RecvBegin`
//!   then `RecvEnd { msg, outcome: Ok }`, `msg` being the latest notification when the wait
//!   ended (when notifications pile up, the exact one that woke it is not known). A `Notified`
//!   dropped while waiting records `WaitCancel`.
//!
//! Not wrapped: `const_new` (recording needs an id: use a `LazyLock`) and `notified_owned`.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use super::wait::poll_recorded;
use crate::event::{ChanFlavor, EventKind, MsgId, ObjectId, Outcome};
use crate::record::{self, CallSite};

/// Notifies one task or all waiting tasks, like `tokio::sync::Notify`.
pub struct Notify {
    chan: ObjectId,
    last_msg: AtomicU64,
    inner: ::tokio::sync::Notify,
}

impl Notify {
    /// Creates a `Notify` without a stored permit, recording `ChanCreate` here.
    #[track_caller]
    pub fn new() -> Self {
        let chan = record::new_object_id();
        if record::enabled() {
            let (flavor, cap) = (ChanFlavor::Bounded, 1);
            record::emit(
                EventKind::ChanCreate { chan, flavor, cap },
                Some(Location::caller()),
            );
        }
        Notify {
            chan,
            last_msg: AtomicU64::new(0),
            inner: ::tokio::sync::Notify::new(),
        }
    }

    fn record_notify(&self, site: CallSite) {
        if record::enabled() {
            let chan = self.chan;
            let msg = self.last_msg.fetch_add(1, Ordering::Relaxed) + 1;
            record::emit(EventKind::Send { chan, msg }, Some(site));
        }
    }

    /// A future that completes when this `Notify` is notified (or at once, taking the stored
    /// permit).
    #[track_caller]
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            inner: self.inner.notified(),
            notify: self,
            site: Location::caller(),
            waiting: false,
        }
    }

    /// Wakes one waiting task (the oldest), or stores a permit for the next one.
    #[track_caller]
    pub fn notify_one(&self) {
        self.record_notify(Location::caller());
        self.inner.notify_one();
    }

    /// Wakes one waiting task (the newest), or stores a permit for the next one.
    #[track_caller]
    pub fn notify_last(&self) {
        self.record_notify(Location::caller());
        self.inner.notify_last();
    }

    /// Wakes every task waiting now; stores no permit.
    #[track_caller]
    pub fn notify_waiters(&self) {
        self.record_notify(Location::caller());
        self.inner.notify_waiters();
    }
}

impl Default for Notify {
    #[track_caller]
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Notify { .. }")
    }
}

/// The future of [`Notify::notified`], like `tokio::sync::futures::Notified`.
pub struct Notified<'a> {
    /// Structurally pinned: only ever accessed through `Pin` (see [`Notified::project`]).
    inner: ::tokio::sync::futures::Notified<'a>,
    notify: &'a Notify,
    site: CallSite,
    waiting: bool,
}

impl<'a> Notified<'a> {
    fn project(
        self: Pin<&mut Self>,
    ) -> (Pin<&mut ::tokio::sync::futures::Notified<'a>>, &mut bool) {
        // SAFETY: `inner` is never moved out of a pinned `Notified`: this is the only access to
        // it, and `Drop` below does not touch it. `Notified` is `!Unpin` because `inner` is.
        let this = unsafe { self.get_unchecked_mut() };
        let inner = unsafe { Pin::new_unchecked(&mut this.inner) };
        (inner, &mut this.waiting)
    }

    /// Registers this future as a waiter without waiting, so a later `notify_waiters` wakes
    /// it; true if it was already notified.
    pub fn enable(self: Pin<&mut Self>) -> bool {
        self.project().0.enable()
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let (notify, site) = (self.notify, self.site);
        let (inner, waiting) = self.as_mut().project();
        let poll = inner.poll(cx);
        if !record::enabled() {
            *waiting = false;
            return poll;
        }
        let chan = notify.chan;
        let begin = EventKind::RecvBegin { chan };
        match poll_recorded(poll, waiting, begin, site) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(((), waited)) => {
                let msg: MsgId = notify.last_msg.load(Ordering::Relaxed);
                let kind = if waited {
                    EventKind::RecvEnd {
                        chan,
                        msg,
                        outcome: Outcome::Ok,
                    }
                } else {
                    EventKind::Recv { chan, msg }
                };
                record::emit(kind, Some(site));
                Poll::Ready(())
            }
        }
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        if self.waiting {
            let object = self.notify.chan;
            record::emit(EventKind::WaitCancel { object }, None);
        }
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Notified { .. }")
    }
}
