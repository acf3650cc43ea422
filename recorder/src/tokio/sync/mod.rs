//! A drop-in for `tokio::sync`: recorded [`mpsc`], [`broadcast`], [`watch`] and [`Notify`] —
//! which tokio's own instrumentation does not cover — and everything else re-exported from
//! tokio unchanged (tokio instruments its `Mutex`, `RwLock`, `Semaphore`, `Barrier` and
//! `oneshot` itself under `tokio_unstable`; see [`crate::tokio`]).
//!
//! Swapping `use tokio::sync::…` for `use weft_recorder::tokio::sync::…` is the whole change.
//! The wrappers record as the crossbeam-channel ones do (see [`crate::channel`]): the operation
//! is recorded at the caller's line, a wait (`SendBegin`/`RecvBegin` … `SendEnd`/`RecvEnd`) only
//! when tokio's future was not ready at its first poll, and a wait whose future is dropped
//! unfinished (a `select!` branch that lost, a timeout, a cancelled task) ends with
//! `WaitCancel`. The task is whichever tokio task (or thread) ran the call. When not
//! recording, an operation costs one relaxed load over tokio's plus the 8-byte message id.

pub mod broadcast;
pub mod mpsc;
mod notify;
mod wait;
pub mod watch;

pub use notify::Notify;

/// Named future types, like `tokio::sync::futures`.
pub mod futures {
    pub use super::notify::Notified;
}

pub use ::tokio::sync::{
    oneshot, AcquireError, Barrier, BarrierWaitResult, MappedMutexGuard, Mutex, MutexGuard,
    OnceCell, OwnedMappedMutexGuard, OwnedMutexGuard, OwnedRwLockMappedWriteGuard,
    OwnedRwLockReadGuard, OwnedRwLockWriteGuard, OwnedSemaphorePermit, RwLock,
    RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard, Semaphore, SemaphorePermit,
    SetError, SetOnce, SetOnceError, TryAcquireError, TryLockError,
};
