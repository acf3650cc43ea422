//! Instrumented locks: `std::sync::{Mutex, RwLock, Condvar}` with creation, waits, acquisitions
//! and releases recorded, and std's other synchronisation types re-exported unchanged.
//!
//! Semantics, including poisoning, are std's: every method returns what std returns, with our
//! guard in place of std's (`PoisonError::new(our guard)` for a poisoned lock). What is recorded:
//!
//! - **creation**: `LockCreate { kind }` at the `new` call. This is why `new` is not a `const fn`
//!   (recording needs an id and a timestamp): a `static` lock becomes a
//!   `static L: LazyLock<Mutex<T>> = LazyLock::new(|| Mutex::new(..))`.
//! - **lock / read / write**: the lock is tried first. Taken at once: `LockAcquire`. Held by
//!   someone else: `LockWait`, then the blocking call, then `LockAcquired { poisoned }`. A
//!   poisoned lock taken without waiting records `LockAcquire` (which has no poison flag).
//! - **try_lock / try_read / try_write**: one `TryLock { ok }` (`ok` also when poisoned: the
//!   lock was taken).
//! - **guard drop**: `LockRelease`, recorded just before the lock is actually released so it
//!   precedes the next holder's `LockAcquired`.
//! - **Condvar**: each actual wait records `CondWait { cv, lock }` (the lock is released while
//!   waiting, so no `LockRelease`) and `CondWake { cv, lock, timed_out }` once the lock is held
//!   again. `wait_while` / `wait_timeout_while` record one such pair per wait, and none if the
//!   condition is already false. `notify_one` / `notify_all` record `CondNotify { all }`.
//!
//! Every object takes its id (one `fetch_add`) at creation whether or not a session records, so a
//! lock created before recording starts is still named in the trace. When not recording, each
//! operation costs one relaxed load over std's: the try-first path is skipped.

use crate::event::{EventKind, LockKind, LockMode, ObjectId};
use crate::record::{self, CallSite};
use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::time::{Duration, Instant};

pub use std::sync::{
    atomic, Arc, Barrier, BarrierWaitResult, LazyLock, LockResult, Once, OnceLock, OnceState,
    PoisonError, TryLockError, TryLockResult, WaitTimeoutResult, Weak,
};

/// Gives a new lock or condition variable its id and records `LockCreate` at `site`.
fn create(kind: LockKind, site: CallSite) -> ObjectId {
    let lock = record::new_object_id();
    if record::enabled() {
        record::emit(EventKind::LockCreate { lock, kind }, Some(site));
    }
    lock
}

/// Maps the guard inside a `LockResult`, keeping the poison state.
fn map_lock<G, H>(result: LockResult<G>, wrap: impl FnOnce(G) -> H) -> LockResult<H> {
    match result {
        Ok(guard) => Ok(wrap(guard)),
        Err(poisoned) => Err(PoisonError::new(wrap(poisoned.into_inner()))),
    }
}

/// Maps the guard inside a `TryLockResult`, keeping the poison state.
fn map_try<G, H>(result: TryLockResult<G>, wrap: impl FnOnce(G) -> H) -> TryLockResult<H> {
    match result {
        Ok(guard) => Ok(wrap(guard)),
        Err(TryLockError::Poisoned(poisoned)) => Err(TryLockError::Poisoned(PoisonError::new(
            wrap(poisoned.into_inner()),
        ))),
        Err(TryLockError::WouldBlock) => Err(TryLockError::WouldBlock),
    }
}

/// Takes a lock the recorded way: try first (`LockAcquire`), else `LockWait`, block,
/// `LockAcquired`. Only called while recording.
fn acquire<G>(
    lock: ObjectId,
    mode: LockMode,
    site: CallSite,
    try_lock: impl FnOnce() -> TryLockResult<G>,
    lock_blocking: impl FnOnce() -> LockResult<G>,
) -> LockResult<G> {
    match try_lock() {
        Ok(guard) => {
            record::emit(EventKind::LockAcquire { lock, mode }, Some(site));
            Ok(guard)
        }
        Err(TryLockError::Poisoned(poisoned)) => {
            record::emit(EventKind::LockAcquire { lock, mode }, Some(site));
            Err(poisoned)
        }
        Err(TryLockError::WouldBlock) => {
            record::emit(EventKind::LockWait { lock, mode }, Some(site));
            let result = lock_blocking();
            record::emit(
                EventKind::LockAcquired {
                    lock,
                    mode,
                    poisoned: result.is_err(),
                },
                Some(site),
            );
            result
        }
    }
}

/// Records the outcome of a `try_*` call.
fn record_try<G>(lock: ObjectId, mode: LockMode, site: CallSite, result: &TryLockResult<G>) {
    if record::enabled() {
        let ok = !matches!(result, Err(TryLockError::WouldBlock));
        record::emit(EventKind::TryLock { lock, mode, ok }, Some(site));
    }
}

/// Records a guard's release (called from the guards' `Drop`, before the std guard unlocks).
fn release(lock: ObjectId, mode: LockMode) {
    if record::enabled() {
        record::emit(EventKind::LockRelease { lock, mode }, None);
    }
}

// ---------------------------------------------------------------------------------------------
// Mutex
// ---------------------------------------------------------------------------------------------

/// A mutual exclusion lock, like `std::sync::Mutex`, recorded.
pub struct Mutex<T: ?Sized> {
    id: ObjectId,
    inner: std::sync::Mutex<T>,
}

impl<T> Mutex<T> {
    /// Creates an unlocked mutex, recording `LockCreate` here. Not `const`: see the module doc.
    #[track_caller]
    pub fn new(value: T) -> Self {
        Self {
            id: create(LockKind::Mutex, Location::caller()),
            inner: std::sync::Mutex::new(value),
        }
    }

    /// Consumes the mutex and returns its value (`Err` if poisoned, with the value inside).
    pub fn into_inner(self) -> LockResult<T> {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Acquires the mutex, blocking while another thread holds it.
    #[track_caller]
    pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
        let result = if record::enabled() {
            acquire(
                self.id,
                LockMode::Exclusive,
                Location::caller(),
                || self.inner.try_lock(),
                || self.inner.lock(),
            )
        } else {
            self.inner.lock()
        };
        map_lock(result, |guard| MutexGuard::new(self.id, guard))
    }

    /// Acquires the mutex if it is free, without blocking.
    #[track_caller]
    pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
        let result = self.inner.try_lock();
        record_try(self.id, LockMode::Exclusive, Location::caller(), &result);
        map_try(result, |guard| MutexGuard::new(self.id, guard))
    }

    /// True if a holder panicked (and the poison was not cleared).
    pub fn is_poisoned(&self) -> bool {
        self.inner.is_poisoned()
    }

    /// Clears the poisoned state.
    pub fn clear_poison(&self) {
        self.inner.clear_poison();
    }

    /// A mutable reference to the value; no locking needed (`Err` if poisoned).
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        self.inner.get_mut()
    }
}

impl<T: Default> Default for Mutex<T> {
    #[track_caller]
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    #[track_caller]
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

/// The guard of a locked [`Mutex`]; unlocks (recording `LockRelease`) when dropped.
pub struct MutexGuard<'a, T: ?Sized + 'a> {
    lock: ObjectId,
    /// Always initialised; `ManuallyDrop` only so that [`Condvar`] can take the std guard out
    /// (std's `Condvar::wait` consumes it) without running our `Drop`.
    inner: ManuallyDrop<std::sync::MutexGuard<'a, T>>,
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    fn new(lock: ObjectId, inner: std::sync::MutexGuard<'a, T>) -> Self {
        Self {
            lock,
            inner: ManuallyDrop::new(inner),
        }
    }

    /// Takes the std guard out without recording a release (the lock stays held).
    fn into_std(self) -> (ObjectId, std::sync::MutexGuard<'a, T>) {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this.inner` is initialised (it always is until `Drop`), and `this` is never
        // used or dropped again, so the std guard is taken exactly once.
        let inner = unsafe { ManuallyDrop::take(&mut this.inner) };
        (this.lock, inner)
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        release(self.lock, LockMode::Exclusive);
        // SAFETY: `inner` is initialised (only `into_std` takes it, and that never runs `Drop`)
        // and is not touched after this line.
        unsafe { ManuallyDrop::drop(&mut self.inner) }
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

// ---------------------------------------------------------------------------------------------
// RwLock
// ---------------------------------------------------------------------------------------------

/// A reader-writer lock, like `std::sync::RwLock`, recorded (`read` = shared, `write` =
/// exclusive).
pub struct RwLock<T: ?Sized> {
    id: ObjectId,
    inner: std::sync::RwLock<T>,
}

impl<T> RwLock<T> {
    /// Creates an unlocked lock, recording `LockCreate` here. Not `const`: see the module doc.
    #[track_caller]
    pub fn new(value: T) -> Self {
        Self {
            id: create(LockKind::RwLock, Location::caller()),
            inner: std::sync::RwLock::new(value),
        }
    }

    /// Consumes the lock and returns its value (`Err` if poisoned, with the value inside).
    pub fn into_inner(self) -> LockResult<T> {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Acquires shared read access, blocking while a writer holds the lock.
    #[track_caller]
    pub fn read(&self) -> LockResult<RwLockReadGuard<'_, T>> {
        let result = if record::enabled() {
            acquire(
                self.id,
                LockMode::Shared,
                Location::caller(),
                || self.inner.try_read(),
                || self.inner.read(),
            )
        } else {
            self.inner.read()
        };
        map_lock(result, |inner| RwLockReadGuard {
            lock: self.id,
            inner,
        })
    }

    /// Acquires exclusive write access, blocking while anyone else holds the lock.
    #[track_caller]
    pub fn write(&self) -> LockResult<RwLockWriteGuard<'_, T>> {
        let result = if record::enabled() {
            acquire(
                self.id,
                LockMode::Exclusive,
                Location::caller(),
                || self.inner.try_write(),
                || self.inner.write(),
            )
        } else {
            self.inner.write()
        };
        map_lock(result, |inner| RwLockWriteGuard {
            lock: self.id,
            inner,
        })
    }

    /// Acquires read access if no writer holds the lock, without blocking.
    #[track_caller]
    pub fn try_read(&self) -> TryLockResult<RwLockReadGuard<'_, T>> {
        let result = self.inner.try_read();
        record_try(self.id, LockMode::Shared, Location::caller(), &result);
        map_try(result, |inner| RwLockReadGuard {
            lock: self.id,
            inner,
        })
    }

    /// Acquires write access if nobody holds the lock, without blocking.
    #[track_caller]
    pub fn try_write(&self) -> TryLockResult<RwLockWriteGuard<'_, T>> {
        let result = self.inner.try_write();
        record_try(self.id, LockMode::Exclusive, Location::caller(), &result);
        map_try(result, |inner| RwLockWriteGuard {
            lock: self.id,
            inner,
        })
    }

    /// True if a writer panicked (and the poison was not cleared).
    pub fn is_poisoned(&self) -> bool {
        self.inner.is_poisoned()
    }

    /// Clears the poisoned state.
    pub fn clear_poison(&self) {
        self.inner.clear_poison();
    }

    /// A mutable reference to the value; no locking needed (`Err` if poisoned).
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        self.inner.get_mut()
    }
}

impl<T: Default> Default for RwLock<T> {
    #[track_caller]
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    #[track_caller]
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

/// Shared read access to an [`RwLock`]; released (recording `LockRelease`) when dropped.
pub struct RwLockReadGuard<'a, T: ?Sized + 'a> {
    lock: ObjectId,
    inner: std::sync::RwLockReadGuard<'a, T>,
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        // Runs before the `inner` field is dropped, i.e. before the lock is released.
        release(self.lock, LockMode::Shared);
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// Exclusive write access to an [`RwLock`]; released (recording `LockRelease`) when dropped.
pub struct RwLockWriteGuard<'a, T: ?Sized + 'a> {
    lock: ObjectId,
    inner: std::sync::RwLockWriteGuard<'a, T>,
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        // Runs before the `inner` field is dropped, i.e. before the lock is released.
        release(self.lock, LockMode::Exclusive);
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

// ---------------------------------------------------------------------------------------------
// Condvar
// ---------------------------------------------------------------------------------------------

/// A condition variable, like `std::sync::Condvar`, recorded.
pub struct Condvar {
    id: ObjectId,
    inner: std::sync::Condvar,
}

impl Condvar {
    /// Creates a condition variable, recording `LockCreate { kind: Condvar }` here. Not `const`:
    /// see the module doc.
    #[track_caller]
    pub fn new() -> Self {
        Self {
            id: create(LockKind::Condvar, Location::caller()),
            inner: std::sync::Condvar::new(),
        }
    }

    /// Releases the guard's mutex and blocks until notified (or spuriously woken); the mutex is
    /// held again on return.
    #[track_caller]
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
        self.wait_at(guard, Location::caller())
    }

    /// Waits while `condition` holds on the protected value, like std's `wait_while`.
    #[track_caller]
    pub fn wait_while<'a, T, F>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut condition: F,
    ) -> LockResult<MutexGuard<'a, T>>
    where
        F: FnMut(&mut T) -> bool,
    {
        let site = Location::caller();
        while condition(&mut *guard) {
            guard = self.wait_at(guard, site)?;
        }
        Ok(guard)
    }

    /// Waits until notified or until `dur` has passed, like std's `wait_timeout`.
    #[track_caller]
    pub fn wait_timeout<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        dur: Duration,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        self.wait_timeout_at(guard, dur, Location::caller())
    }

    /// Waits while `condition` holds, for at most `dur` in total, like std's
    /// `wait_timeout_while`. The result says whether the time ran out with the condition
    /// still true.
    #[track_caller]
    pub fn wait_timeout_while<'a, T, F>(
        &self,
        mut guard: MutexGuard<'a, T>,
        dur: Duration,
        mut condition: F,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)>
    where
        F: FnMut(&mut T) -> bool,
    {
        // The same loop as std's, so each wait is recorded on its own.
        let site = Location::caller();
        let start = Instant::now();
        loop {
            if !condition(&mut *guard) {
                return Ok((guard, wait_timeout_result(false)));
            }
            let Some(remaining) = dur.checked_sub(start.elapsed()) else {
                return Ok((guard, wait_timeout_result(true)));
            };
            guard = self.wait_timeout_at(guard, remaining, site)?.0;
        }
    }

    /// Wakes one waiting thread, recording `CondNotify { all: false }`.
    #[track_caller]
    pub fn notify_one(&self) {
        if record::enabled() {
            record::emit(
                EventKind::CondNotify {
                    cv: self.id,
                    all: false,
                },
                Some(Location::caller()),
            );
        }
        self.inner.notify_one();
    }

    /// Wakes all waiting threads, recording `CondNotify { all: true }`.
    #[track_caller]
    pub fn notify_all(&self) {
        if record::enabled() {
            record::emit(
                EventKind::CondNotify {
                    cv: self.id,
                    all: true,
                },
                Some(Location::caller()),
            );
        }
        self.inner.notify_all();
    }

    fn wait_at<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        site: CallSite,
    ) -> LockResult<MutexGuard<'a, T>> {
        let (lock, inner) = guard.into_std();
        self.record_wait(lock, site);
        let result = self.inner.wait(inner);
        self.record_wake(lock, false, site);
        map_lock(result, |inner| MutexGuard::new(lock, inner))
    }

    fn wait_timeout_at<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        dur: Duration,
        site: CallSite,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        let (lock, inner) = guard.into_std();
        self.record_wait(lock, site);
        let result = self.inner.wait_timeout(inner, dur);
        let timed_out = match &result {
            Ok((_, timeout)) => timeout.timed_out(),
            Err(poisoned) => poisoned.get_ref().1.timed_out(),
        };
        self.record_wake(lock, timed_out, site);
        map_lock(result, |(inner, timeout)| {
            (MutexGuard::new(lock, inner), timeout)
        })
    }

    fn record_wait(&self, lock: ObjectId, site: CallSite) {
        if record::enabled() {
            record::emit(EventKind::CondWait { cv: self.id, lock }, Some(site));
        }
    }

    fn record_wake(&self, lock: ObjectId, timed_out: bool, site: CallSite) {
        if record::enabled() {
            record::emit(
                EventKind::CondWake {
                    cv: self.id,
                    lock,
                    timed_out,
                },
                Some(site),
            );
        }
    }
}

impl Default for Condvar {
    #[track_caller]
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

/// A `WaitTimeoutResult` with the given flag. std offers no constructor, so both values are
/// obtained once from std itself: `wait_timeout_while` with a zero timeout returns `false` when
/// the condition is already false and `true` when it is still true, without ever waiting.
fn wait_timeout_result(timed_out: bool) -> WaitTimeoutResult {
    static RESULTS: OnceLock<[WaitTimeoutResult; 2]> = OnceLock::new();
    let results = RESULTS.get_or_init(|| {
        let mutex = std::sync::Mutex::new(());
        let condvar = std::sync::Condvar::new();
        let make = |still_waiting: bool| {
            let guard = mutex.lock().unwrap_or_else(PoisonError::into_inner);
            match condvar.wait_timeout_while(guard, Duration::ZERO, |_| still_waiting) {
                Ok((_, result)) => result,
                Err(poisoned) => poisoned.into_inner().1,
            }
        };
        [make(false), make(true)]
    });
    results[usize::from(timed_out)]
}
