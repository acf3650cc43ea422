//! What every wrapper shares: polling one of tokio's futures while recording whether it had to
//! wait, and the ends of a channel whose last drop records its disconnection.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::Poll;

use crate::event::{ChanFlavor, EventKind, MsgId, ObjectId, Side};
use crate::record::{self, CallSite};

/// An open wait on `object`: dropped before [`Wait::done`] (its future was dropped mid-wait),
/// it records `WaitCancel`.
pub(crate) struct Wait {
    object: ObjectId,
    open: bool,
}

impl Wait {
    /// A wait that has not begun.
    pub(crate) fn new(object: ObjectId) -> Self {
        Wait {
            object,
            open: false,
        }
    }

    /// Records `begin` the first time it is called.
    pub(crate) fn begin(&mut self, begin: EventKind, site: CallSite) {
        if !self.open {
            self.open = true;
            record::emit(begin, Some(site));
        }
    }

    /// Closes the wait; true if it had begun.
    pub(crate) fn done(&mut self) -> bool {
        std::mem::take(&mut self.open)
    }
}

impl Drop for Wait {
    fn drop(&mut self) {
        if self.open {
            let object = self.object;
            record::emit(EventKind::WaitCancel { object }, None);
        }
    }
}

/// Awaits `fut`, recording `begin` at `site` the first time it is not ready; returns its output
/// and whether it waited. The caller records how it ended. Polling tokio's own future (rather
/// than trying first and then waiting) keeps tokio's semantics exactly, cooperative budget
/// included: a wait may therefore also be a budget yield, which is short.
pub(crate) async fn watched<F: Future>(
    fut: F,
    object: ObjectId,
    begin: EventKind,
    site: CallSite,
) -> (F::Output, bool) {
    let mut fut = pin!(fut);
    let mut wait = Wait::new(object);
    let output = poll_fn(|cx| {
        let poll = fut.as_mut().poll(cx);
        if poll.is_pending() {
            wait.begin(begin, site);
        }
        poll
    })
    .await;
    let waited = wait.done();
    (output, waited)
}

/// A value in transit, tagged with the id that matches its send to its receive(s).
#[derive(Clone, Debug)]
pub(crate) struct Envelope<T> {
    pub msg: MsgId,
    pub value: T,
}

/// What all senders of a channel share; the last one dropped records the senders' side gone.
pub(crate) struct SenderEnd {
    pub chan: ObjectId,
    last_msg: AtomicU64,
    /// The receivers' shared end while any receiver lives, so that a sender can subscribe new
    /// receivers (broadcast, watch) to the same end — or to a new one after all were dropped.
    receivers: Mutex<Weak<ReceiverEnd>>,
}

impl SenderEnd {
    /// A fresh message id (only drawn while recording).
    pub(crate) fn next_msg(&self) -> MsgId {
        self.last_msg.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// The receivers' end, created anew if every receiver is gone.
    pub(crate) fn receiver_end(&self) -> Arc<ReceiverEnd> {
        let mut weak = self.receivers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(end) = weak.upgrade() {
            return end;
        }
        let end = Arc::new(ReceiverEnd { chan: self.chan });
        *weak = Arc::downgrade(&end);
        end
    }
}

impl Drop for SenderEnd {
    fn drop(&mut self) {
        let chan = self.chan;
        let side = Side::Sender;
        record::emit(EventKind::ChanDisconnect { chan, side }, None);
    }
}

/// What all receivers of a channel share; the last one dropped records the receivers' side
/// gone.
pub(crate) struct ReceiverEnd {
    pub chan: ObjectId,
}

impl Drop for ReceiverEnd {
    fn drop(&mut self) {
        let chan = self.chan;
        let side = Side::Receiver;
        record::emit(EventKind::ChanDisconnect { chan, side }, None);
    }
}

/// Names a new channel (its id is drawn whether or not a session records, so a channel made
/// before recording starts is still named) and records `ChanCreate` at `site`.
pub(crate) fn create(
    flavor: ChanFlavor,
    cap: usize,
    site: CallSite,
) -> (Arc<SenderEnd>, Arc<ReceiverEnd>) {
    let chan = record::new_object_id();
    if record::enabled() {
        let cap = u64::try_from(cap).unwrap_or(u64::MAX);
        record::emit(EventKind::ChanCreate { chan, flavor, cap }, Some(site));
    }
    let receivers = Arc::new(ReceiverEnd { chan });
    let senders = Arc::new(SenderEnd {
        chan,
        last_msg: AtomicU64::new(0),
        receivers: Mutex::new(Arc::downgrade(&receivers)),
    });
    (senders, receivers)
}

/// Polls a `poll_*` method the recorded way for receivers that are polled by hand: `waiting`
/// remembers, between polls, that a wait was recorded.
pub(crate) fn poll_recorded<T>(
    poll: Poll<T>,
    waiting: &mut bool,
    begin: EventKind,
    site: CallSite,
) -> Poll<(T, bool)> {
    match poll {
        Poll::Pending => {
            if !*waiting && record::enabled() {
                *waiting = true;
                record::emit(begin, Some(site));
            }
            Poll::Pending
        }
        Poll::Ready(value) => Poll::Ready((value, std::mem::take(waiting))),
    }
}
