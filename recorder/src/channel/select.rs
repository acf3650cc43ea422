//! `select!`: crossbeam-channel's macro over our channels, recorded.
//!
//! The macro parses crossbeam's syntax into a list of arms, evaluates each arm's channel
//! expression once, registers the arms on a [`Selection`] (a crossbeam `Select` that also
//! remembers each arm's channel id), waits, and completes the chosen operation on the inner
//! crossbeam channel, unwrapping the envelope. While recording, one select is:
//! `SelectBegin { arms, has_timeout }`, one `SelectArm` per arm in source order (both recorded
//! when the wait starts, after every channel expression has been evaluated), then
//! `SelectEnd { chan, msg, op, outcome }` once the operation completed — or with `chan: 0` when
//! the `default` arm ran (`Empty`) or the timeout passed (`Timeout`). A `default` arm counts as
//! a timeout of zero (`has_timeout: true`). As in crossbeam, a `send` arm's value is evaluated
//! only if that arm is chosen, so it may record events between the arms and `SelectEnd`.

use super::{Envelope, Receiver, RecvError, SendError, Sender};
use crate::event::{EventKind, MsgId, ObjectId, Outcome, SelectOp};
use crate::record::{self, CallSite};
use crossbeam_channel as cb;
use std::panic::Location;
use std::time::Duration;

/// The state of one `select!` with `N` arms: the crossbeam `Select` and each arm's channel.
/// Used by the macro's expansion only.
#[doc(hidden)]
pub struct Selection<'a, const N: usize> {
    inner: cb::Select<'a>,
    arms: [(ObjectId, SelectOp); N],
    registered: usize,
    has_timeout: bool,
    site: CallSite,
}

impl<'a, const N: usize> Selection<'a, N> {
    /// A selection at the caller's line (the `select!`, through the macro expansion).
    #[track_caller]
    pub fn new(has_timeout: bool) -> Self {
        Self {
            inner: cb::Select::new(),
            arms: [(0, SelectOp::Recv); N],
            registered: 0,
            has_timeout,
            site: Location::caller(),
        }
    }

    /// Adds a receive arm.
    pub fn recv<T>(&mut self, receiver: &'a Receiver<T>) {
        let index = self.inner.recv(&receiver.inner);
        self.register(index, receiver.chan(), SelectOp::Recv);
    }

    /// Adds a send arm.
    pub fn send<T>(&mut self, sender: &'a Sender<T>) {
        let index = self.inner.send(&sender.inner);
        self.register(index, sender.chan(), SelectOp::Send);
    }

    fn register(&mut self, index: usize, chan: ObjectId, op: SelectOp) {
        // The macro registers its arms in order and sizes `N` by counting them, so crossbeam's
        // index is the arm's position and always fits.
        debug_assert_eq!(index, self.registered);
        self.arms[self.registered] = (chan, op);
        self.registered += 1;
    }

    /// Records `SelectBegin` and the arms: the wait starts now.
    fn begin(&self) {
        if !record::enabled() {
            return;
        }
        let arms = u32::try_from(N).unwrap_or(u32::MAX);
        let has_timeout = self.has_timeout;
        record::emit(
            EventKind::SelectBegin { arms, has_timeout },
            Some(self.site),
        );
        for &(chan, op) in &self.arms {
            record::emit(EventKind::SelectArm { chan, op }, Some(self.site));
        }
    }

    fn end(&self, chan: ObjectId, msg: MsgId, op: SelectOp, outcome: Outcome) {
        if record::enabled() {
            record::emit(
                EventKind::SelectEnd {
                    chan,
                    msg,
                    op,
                    outcome,
                },
                Some(self.site),
            );
        }
    }

    /// Blocks until one arm's operation is ready.
    pub fn select(&mut self) -> cb::SelectedOperation<'a> {
        self.begin();
        self.inner.select()
    }

    /// Picks a ready operation, or `None` (the `default` arm) if none is ready now.
    pub fn try_select(&mut self) -> Option<cb::SelectedOperation<'a>> {
        self.begin();
        self.inner.try_select().ok()
    }

    /// Waits at most `timeout` for a ready operation; `None` runs the `default(timeout)` arm.
    pub fn select_timeout(&mut self, timeout: Duration) -> Option<cb::SelectedOperation<'a>> {
        self.begin();
        self.inner.select_timeout(timeout).ok()
    }

    /// Completes the chosen receive arm.
    pub fn complete_recv<T>(
        self,
        operation: cb::SelectedOperation<'_>,
        receiver: &Receiver<T>,
    ) -> Result<T, RecvError> {
        let chan = receiver.chan();
        match operation.recv(&receiver.inner) {
            Ok(envelope) => {
                self.end(chan, envelope.msg, SelectOp::Recv, Outcome::Ok);
                Ok(envelope.value)
            }
            Err(RecvError) => {
                self.end(chan, 0, SelectOp::Recv, Outcome::Disconnected);
                Err(RecvError)
            }
        }
    }

    /// Completes the chosen send arm with `value`.
    pub fn complete_send<T>(
        self,
        operation: cb::SelectedOperation<'_>,
        sender: &Sender<T>,
        value: T,
    ) -> Result<(), SendError<T>> {
        let chan = sender.chan();
        let msg = if record::enabled() {
            sender.next_msg()
        } else {
            0
        };
        match operation.send(&sender.inner, Envelope { msg, value }) {
            Ok(()) => {
                self.end(chan, msg, SelectOp::Send, Outcome::Ok);
                Ok(())
            }
            Err(SendError(envelope)) => {
                self.end(chan, 0, SelectOp::Send, Outcome::Disconnected);
                Err(SendError(envelope.value))
            }
        }
    }

    /// The `default` arm runs: nothing was ready.
    pub fn finish_empty(self) {
        self.end(0, 0, SelectOp::Recv, Outcome::Empty);
    }

    /// The `default(timeout)` arm runs: the time ran out.
    pub fn finish_timeout(self) {
        self.end(0, 0, SelectOp::Recv, Outcome::Timeout);
    }
}

/// Waits on several channel operations and runs the arm of the one that completes first, like
/// `crossbeam_channel::select!` (same syntax and semantics), recording the wait.
///
/// Arms: `recv(receiver) -> result => body`, `send(sender, value) -> result => body`, and at
/// most one of `default => body` (do not wait) or `default(timeout) => body` (wait at most
/// `timeout`). Arms are separated by commas, optional after a block body. If several operations
/// are ready, one is picked at random. An operation on a disconnected channel counts as ready
/// and completes with `Err`. At most 32 `recv`/`send` arms.
///
/// ```
/// use std::time::Duration;
/// use weft_recorder::channel::{select, unbounded};
///
/// let (tx, rx) = unbounded();
/// let (_done_tx, done_rx) = unbounded::<()>();
/// tx.send(7).unwrap();
/// select! {
///     recv(rx) -> msg => assert_eq!(msg, Ok(7)),
///     recv(done_rx) -> _ => unreachable!(),
///     default(Duration::from_secs(1)) => unreachable!(),
/// }
/// ```
///
/// Recorded (see the `channel` module doc): `SelectBegin`, one `SelectArm` per arm, `SelectEnd`.
#[macro_export]
macro_rules! select {
    ($($tokens:tt)*) => {
        $crate::__weft_select!(@list ($($tokens)*) ())
    };
}

/// The machinery of [`select!`]. Parsing (`@list`, `@case`) follows crossbeam-channel's
/// `crossbeam_channel_internal!` (MIT OR Apache-2.0) so the accepted syntax is the same; the
/// code generation (`@init` onwards) is ours.
#[doc(hidden)]
#[macro_export]
macro_rules! __weft_select {
    // ---- @list: split the input into arms, normalising every body to a block ----
    (@list () ($($head:tt)*)) => {
        $crate::__weft_select!(@case ($($head)*) () ())
    };
    (@list (default => $($tail:tt)*) ($($head:tt)*)) => {
        $crate::__weft_select!(@list (default() => $($tail)*) ($($head)*))
    };
    (@list (default $($args:tt)? -> $($tail:tt)*) ($($head:tt)*)) => {
        compile_error!("expected `=>` after `default` case, found `->`")
    };
    (@list (recv($($args:tt)*) => $($tail:tt)*) ($($head:tt)*)) => {
        compile_error!("expected `->` after `recv` case, found `=>`")
    };
    (@list (send($($args:tt)*) => $($tail:tt)*) ($($head:tt)*)) => {
        compile_error!("expected `->` after `send` operation, found `=>`")
    };
    (@list ($case:ident $args:tt -> $res:tt -> $($tail:tt)*) ($($head:tt)*)) => {
        compile_error!("expected `=>`, found `->`")
    };
    (@list
        ($case:ident $args:tt $(-> $res:pat)* => { $($body:tt)* }; $($tail:tt)*)
        ($($head:tt)*)
    ) => {
        compile_error!("did you mean to put a comma instead of the semicolon after `}`?")
    };
    (@list
        ($case:ident ($($args:tt)*) $(-> $res:pat)* => { $($body:tt)* }, $($tail:tt)*)
        ($($head:tt)*)
    ) => {
        $crate::__weft_select!(
            @list ($($tail)*) ($($head)* $case ($($args)*) $(-> $res)* => { $($body)* },)
        )
    };
    (@list
        ($case:ident ($($args:tt)*) $(-> $res:pat)* => $body:expr, $($tail:tt)*)
        ($($head:tt)*)
    ) => {
        $crate::__weft_select!(
            @list ($($tail)*) ($($head)* $case ($($args)*) $(-> $res)* => { $body },)
        )
    };
    (@list
        ($case:ident ($($args:tt)*) $(-> $res:pat)* => { $($body:tt)* } $($tail:tt)*)
        ($($head:tt)*)
    ) => {
        $crate::__weft_select!(
            @list ($($tail)*) ($($head)* $case ($($args)*) $(-> $res)* => { $($body)* },)
        )
    };
    (@list
        ($case:ident ($($args:tt)*) $(-> $res:pat)* => $body:expr $(,)?)
        ($($head:tt)*)
    ) => {
        $crate::__weft_select!(
            @list () ($($head)* $case ($($args)*) $(-> $res)* => { $body },)
        )
    };
    (@list ($($tail:tt)*) ($($head:tt)*)) => {
        compile_error!(concat!(
            "invalid `select!` arm near `",
            stringify!($($tail)*),
            "`: expected `recv(r) -> res => body`, `send(s, value) -> res => body`, ",
            "`default => body` or `default(timeout) => body`, separated by commas",
        ))
    };

    // ---- @case: check each arm's arguments; keep at most one default ----
    (@case () $cases:tt $default:tt) => {
        $crate::__weft_select!(@init $cases $default)
    };
    (@case
        (recv($r:expr $(,)?) -> $res:pat => $body:tt, $($tail:tt)*)
        ($($cases:tt)*)
        $default:tt
    ) => {
        $crate::__weft_select!(@case ($($tail)*) ($($cases)* recv($r) -> $res => $body,) $default)
    };
    (@case
        (send($s:expr, $m:expr $(,)?) -> $res:pat => $body:tt, $($tail:tt)*)
        ($($cases:tt)*)
        $default:tt
    ) => {
        $crate::__weft_select!(
            @case ($($tail)*) ($($cases)* send($s, $m) -> $res => $body,) $default
        )
    };
    (@case (default() => $body:tt, $($tail:tt)*) $cases:tt ()) => {
        $crate::__weft_select!(@case ($($tail)*) $cases (default() => $body,))
    };
    (@case (default($timeout:expr $(,)?) => $body:tt, $($tail:tt)*) $cases:tt ()) => {
        $crate::__weft_select!(@case ($($tail)*) $cases (default($timeout) => $body,))
    };
    (@case (default $($tail:tt)*) $cases:tt ($($def:tt)+)) => {
        compile_error!("there can be only one `default` case in a `select!` block")
    };
    (@case ($case:ident ($($args:tt)*) $($tail:tt)*) $cases:tt $default:tt) => {
        compile_error!(concat!(
            "invalid `select!` arm `",
            stringify!($case),
            "(",
            stringify!($($args)*),
            ")`: expected `recv(receiver)`, `send(sender, value)`, `default` or `default(timeout)`",
        ))
    };
    (@case ($($tail:tt)*) $cases:tt $default:tt) => {
        compile_error!(concat!("invalid `select!` arm near `", stringify!($($tail)*), "`"))
    };

    // ---- @init: hand out one label (index, variable) per operation arm ----
    (@init $cases:tt $default:tt) => {
        $crate::__weft_select!(
            @bind $cases $default
            (
                (0usize __weft_arm0) (1usize __weft_arm1) (2usize __weft_arm2)
                (3usize __weft_arm3) (4usize __weft_arm4) (5usize __weft_arm5)
                (6usize __weft_arm6) (7usize __weft_arm7) (8usize __weft_arm8)
                (9usize __weft_arm9) (10usize __weft_arm10) (11usize __weft_arm11)
                (12usize __weft_arm12) (13usize __weft_arm13) (14usize __weft_arm14)
                (15usize __weft_arm15) (16usize __weft_arm16) (17usize __weft_arm17)
                (18usize __weft_arm18) (19usize __weft_arm19) (20usize __weft_arm20)
                (21usize __weft_arm21) (22usize __weft_arm22) (23usize __weft_arm23)
                (24usize __weft_arm24) (25usize __weft_arm25) (26usize __weft_arm26)
                (27usize __weft_arm27) (28usize __weft_arm28) (29usize __weft_arm29)
                (30usize __weft_arm30) (31usize __weft_arm31)
            )
            ()
        )
    };

    // ---- @bind: evaluate each channel expression once, in order, and name it ----
    (@bind () $default:tt $labels:tt ($($case:tt)*)) => {{
        let mut __weft_sel = $crate::channel::__private::Selection::<
            { 0usize $(+ $crate::__weft_select!(@one $case))* }
        >::new($crate::__weft_select!(@has_timeout $default));
        $( $crate::__weft_select!(@register __weft_sel $case); )*
        $crate::__weft_select!(@wait __weft_sel $default ($($case)*))
    }};
    (@bind $cases:tt $default:tt () $done:tt) => {
        compile_error!("too many operations in a `select!` block (at most 32)")
    };
    (@bind
        (recv($r:expr) -> $res:pat => $body:tt, $($tail:tt)*)
        $default:tt
        (($i:tt $var:ident) $($labels:tt)*)
        ($($done:tt)*)
    ) => {
        match $r {
            ref __weft_r => {
                let $var: &$crate::channel::Receiver<_> = __weft_r;
                $crate::__weft_select!(
                    @bind ($($tail)*) $default ($($labels)*)
                    ($($done)* ([$i] recv($var) -> $res => $body))
                )
            }
        }
    };
    (@bind
        (send($s:expr, $m:expr) -> $res:pat => $body:tt, $($tail:tt)*)
        $default:tt
        (($i:tt $var:ident) $($labels:tt)*)
        ($($done:tt)*)
    ) => {
        match $s {
            ref __weft_s => {
                let $var: &$crate::channel::Sender<_> = __weft_s;
                $crate::__weft_select!(
                    @bind ($($tail)*) $default ($($labels)*)
                    ($($done)* ([$i] send($var, $m) -> $res => $body))
                )
            }
        }
    };

    (@one $case:tt) => { 1usize };
    (@has_timeout ()) => { false };
    (@has_timeout ($($default:tt)+)) => { true };

    (@register $sel:ident ([$i:tt] recv($var:ident) -> $res:pat => $body:tt)) => {
        $sel.recv($var)
    };
    (@register $sel:ident ([$i:tt] send($var:ident, $m:expr) -> $res:pat => $body:tt)) => {
        $sel.send($var)
    };

    // ---- @wait: block, try, or wait with a timeout ----
    (@wait $sel:ident () $cases:tt) => {{
        let __weft_oper = $sel.select();
        $crate::__weft_select!(@complete $sel __weft_oper $cases)
    }};
    (@wait $sel:ident (default() => $body:tt,) $cases:tt) => {
        match $sel.try_select() {
            ::core::option::Option::None => {
                $sel.finish_empty();
                $body
            }
            ::core::option::Option::Some(__weft_oper) => {
                $crate::__weft_select!(@complete $sel __weft_oper $cases)
            }
        }
    };
    (@wait $sel:ident (default($timeout:expr) => $body:tt,) $cases:tt) => {{
        let __weft_timeout: ::core::time::Duration = $timeout;
        match $sel.select_timeout(__weft_timeout) {
            ::core::option::Option::None => {
                $sel.finish_timeout();
                $body
            }
            ::core::option::Option::Some(__weft_oper) => {
                $crate::__weft_select!(@complete $sel __weft_oper $cases)
            }
        }
    }};

    // ---- @complete: run the chosen arm (the selection is consumed before the body runs) ----
    (@complete $sel:ident $oper:ident ()) => {
        ::core::unreachable!("weft select!: the selected operation is not one of the arms")
    };
    (@complete
        $sel:ident
        $oper:ident
        (([$i:tt] recv($var:ident) -> $res:pat => $body:tt) $($tail:tt)*)
    ) => {
        if $oper.index() == $i {
            let __weft_res = $sel.complete_recv($oper, $var);
            let $res = __weft_res;
            $body
        } else {
            $crate::__weft_select!(@complete $sel $oper ($($tail)*))
        }
    };
    (@complete
        $sel:ident
        $oper:ident
        (([$i:tt] send($var:ident, $m:expr) -> $res:pat => $body:tt) $($tail:tt)*)
    ) => {
        if $oper.index() == $i {
            let __weft_res = $sel.complete_send($oper, $var, $m);
            let $res = __weft_res;
            $body
        } else {
            $crate::__weft_select!(@complete $sel $oper ($($tail)*))
        }
    };
}
