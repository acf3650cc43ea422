//! Instrumented threads: `std::thread` with spawn, join, park, unpark, sleep and yield recorded.
//!
//! The API mirrors `std::thread` so adopting Weft is an import swap. What is recorded, and where:
//!
//! - **spawn** (`spawn`, `Builder::spawn`, `Scope::spawn`, `Builder::spawn_scoped`): the parent
//!   records `TaskSpawn { child, name }` at the spawn site *before* the OS thread starts, so the
//!   spawn always precedes the child's `TaskStart` in time. (If the OS refuses to create the
//!   thread, that `TaskSpawn` has no `TaskStart`: the task never ran.) The child calls
//!   the recorder's `begin_task` first thing, runs the closure under `catch_unwind`, records
//!   `TaskExit { panicked }` and then resumes any panic, so `join` still sees it exactly like std.
//! - **join**: a join of a thread that had already finished records a single `JoinEnd`; a join
//!   that has to wait records `JoinBegin` then `JoinEnd`. The threads a [`scope`] joins implicitly
//!   at its end record no join events (their `TaskExit` still shows when they ended).
//! - **park / park_timeout**: `ParkBegin { timeout_ns }` (0 = no timeout; a zero-length timeout is
//!   recorded as 1 ns so it still reads as "timed") then `ParkEnd`.
//! - **unpark**: `Unpark { task }` naming the target task, recorded *before* the wake-up so it
//!   precedes the target's `ParkEnd`. Every [`Thread`] carries its Weft task id, so
//!   `handle.thread().unpark()` and `current()` passed to another thread both name the right task.
//! - **sleep**: `SleepBegin { ns }` then `SleepEnd`; **yield_now**: `Yield`.
//!
//! When not recording every function costs one relaxed load over its std counterpart (plus one
//! `fetch_add` per spawn for the task id, which the child needs whether or not anyone records).

use crate::event::{EventKind, StrId, TaskId};
use crate::record::{self, CallSite};
use std::fmt;
use std::io;
use std::panic::{self, AssertUnwindSafe, Location};
use std::time::Duration;

pub use std::thread::{available_parallelism, panicking, AccessError, LocalKey, Result, ThreadId};

/// A handle to a thread, like `std::thread::Thread`, that also knows the thread's Weft task so
/// [`Thread::unpark`] can record whom it wakes.
#[derive(Clone)]
pub struct Thread {
    inner: std::thread::Thread,
    task: TaskId,
}

impl Thread {
    /// The thread's unique identifier (std's).
    pub fn id(&self) -> ThreadId {
        self.inner.id()
    }

    /// The thread's name, if it has one.
    pub fn name(&self) -> Option<&str> {
        self.inner.name()
    }

    /// Wakes the thread if it is parked (or makes its next `park` return at once), recording
    /// `Unpark { task }` at the caller's line.
    #[track_caller]
    pub fn unpark(&self) {
        if record::enabled() {
            record::emit(
                EventKind::Unpark { task: self.task },
                Some(Location::caller()),
            );
        }
        self.inner.unpark();
    }

    /// The Weft task this thread runs: the id that names it in a trace.
    pub fn task_id(&self) -> TaskId {
        self.task
    }

    /// The underlying std handle (unparking through it records nothing).
    pub fn as_std(&self) -> &std::thread::Thread {
        &self.inner
    }
}

impl fmt::Debug for Thread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

/// The handle of the calling thread.
pub fn current() -> Thread {
    Thread {
        inner: std::thread::current(),
        task: record::current_task(),
    }
}

/// Blocks until the current thread is unparked (or spuriously), like `std::thread::park`.
#[track_caller]
pub fn park() {
    if !record::enabled() {
        return std::thread::park();
    }
    let site = Location::caller();
    record::emit(EventKind::ParkBegin { timeout_ns: 0 }, Some(site));
    std::thread::park();
    record::emit(EventKind::ParkEnd, Some(site));
}

/// Blocks until unparked or until `dur` has passed, like `std::thread::park_timeout`.
#[track_caller]
pub fn park_timeout(dur: Duration) {
    if !record::enabled() {
        return std::thread::park_timeout(dur);
    }
    let site = Location::caller();
    let timeout_ns = duration_ns(dur).max(1);
    record::emit(EventKind::ParkBegin { timeout_ns }, Some(site));
    std::thread::park_timeout(dur);
    record::emit(EventKind::ParkEnd, Some(site));
}

/// Puts the current thread to sleep for at least `dur`, like `std::thread::sleep`.
#[track_caller]
pub fn sleep(dur: Duration) {
    if !record::enabled() {
        return std::thread::sleep(dur);
    }
    let site = Location::caller();
    record::emit(
        EventKind::SleepBegin {
            ns: duration_ns(dur),
        },
        Some(site),
    );
    std::thread::sleep(dur);
    record::emit(EventKind::SleepEnd, Some(site));
}

/// Gives up the processor, like `std::thread::yield_now`.
#[track_caller]
pub fn yield_now() {
    if record::enabled() {
        record::emit(EventKind::Yield, Some(Location::caller()));
    }
    std::thread::yield_now();
}

/// A duration in nanoseconds, saturating at `u64::MAX` (about 584 years).
fn duration_ns(dur: Duration) -> u64 {
    u64::try_from(dur.as_nanos()).unwrap_or(u64::MAX)
}

/// Spawns a thread, like `std::thread::spawn`, recording `TaskSpawn` here and the child's
/// start and exit.
///
/// # Panics
/// Like std, if the OS fails to create the thread; use [`Builder::spawn`] to handle that.
#[track_caller]
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Builder::new().spawn(f).expect("failed to spawn thread")
}

/// Thread configuration, like `std::thread::Builder`.
#[derive(Debug, Default)]
pub struct Builder {
    name: Option<String>,
    stack_size: Option<usize>,
}

impl Builder {
    /// A builder with std's defaults (no name, default stack size).
    pub fn new() -> Self {
        Self::default()
    }

    /// Names the thread; the name shows in panic messages and on the task in the trace.
    pub fn name(mut self, name: String) -> Self {
        self.name = Some(name);
        self
    }

    /// Sets the stack size in bytes.
    pub fn stack_size(mut self, size: usize) -> Self {
        self.stack_size = Some(size);
        self
    }

    /// Spawns the thread, like `std::thread::Builder::spawn`.
    #[track_caller]
    pub fn spawn<F, T>(self, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (builder, launch) = self.prepare(Location::caller());
        let inner = builder.spawn(launch.wrap(f))?;
        Ok(JoinHandle {
            thread: launch.thread(inner.thread()),
            inner,
        })
    }

    /// Spawns a thread in `scope`, like `std::thread::Builder::spawn_scoped`.
    #[track_caller]
    pub fn spawn_scoped<'scope, 'env, F, T>(
        self,
        scope: &'scope Scope<'scope, 'env>,
        f: F,
    ) -> io::Result<ScopedJoinHandle<'scope, T>>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        let (builder, launch) = self.prepare(Location::caller());
        let inner = builder.spawn_scoped(&scope.inner, launch.wrap(f))?;
        Ok(ScopedJoinHandle {
            thread: launch.thread(inner.thread()),
            inner,
        })
    }

    /// Allocates the child's task id, records `TaskSpawn` and builds the std builder.
    fn prepare(self, site: CallSite) -> (std::thread::Builder, Launch) {
        let task = record::new_task_id();
        let mut name_id = 0;
        if record::enabled() {
            name_id = self.name.as_deref().map_or(0, record::intern);
            record::emit(
                EventKind::TaskSpawn {
                    child: task,
                    name: name_id,
                },
                Some(site),
            );
        }
        let mut builder = std::thread::Builder::new();
        if let Some(name) = self.name {
            builder = builder.name(name);
        }
        if let Some(size) = self.stack_size {
            builder = builder.stack_size(size);
        }
        (
            builder,
            Launch {
                task,
                name: name_id,
            },
        )
    }
}

/// What a child thread needs to announce itself: its task id and interned name.
#[derive(Clone, Copy)]
struct Launch {
    task: TaskId,
    name: StrId,
}

impl Launch {
    /// Wraps the user's closure: `begin_task`, run, `TaskExit`, and re-raise a panic so the
    /// join sees it unchanged.
    fn wrap<F, T>(self, f: F) -> impl FnOnce() -> T
    where
        F: FnOnce() -> T,
    {
        move || {
            record::begin_task(self.task, self.name);
            // Unwind safety: the panic is resumed right after recording, so nothing observes
            // state the closure left half-updated that std would not also expose.
            let result = panic::catch_unwind(AssertUnwindSafe(f));
            if record::enabled() {
                record::emit(
                    EventKind::TaskExit {
                        panicked: result.is_err(),
                    },
                    None,
                );
            }
            match result {
                Ok(value) => value,
                Err(payload) => panic::resume_unwind(payload),
            }
        }
    }

    fn thread(self, inner: &std::thread::Thread) -> Thread {
        Thread {
            inner: inner.clone(),
            task: self.task,
        }
    }
}

/// The two std join handles, so one function records joins for both.
trait StdJoin<T> {
    fn is_finished(&self) -> bool;
    fn join(self) -> Result<T>;
}

impl<T> StdJoin<T> for std::thread::JoinHandle<T> {
    fn is_finished(&self) -> bool {
        std::thread::JoinHandle::is_finished(self)
    }
    fn join(self) -> Result<T> {
        std::thread::JoinHandle::join(self)
    }
}

impl<T> StdJoin<T> for std::thread::ScopedJoinHandle<'_, T> {
    fn is_finished(&self) -> bool {
        std::thread::ScopedJoinHandle::is_finished(self)
    }
    fn join(self) -> Result<T> {
        std::thread::ScopedJoinHandle::join(self)
    }
}

/// Joins `handle`, recording `JoinBegin` (only if the thread is still running) and `JoinEnd`.
fn recorded_join<T>(handle: impl StdJoin<T>, thread: &Thread, site: CallSite) -> Result<T> {
    if !record::enabled() {
        return handle.join();
    }
    let task = thread.task;
    if !handle.is_finished() {
        record::emit(EventKind::JoinBegin { task }, Some(site));
    }
    let result = handle.join();
    record::emit(
        EventKind::JoinEnd {
            task,
            panicked: result.is_err(),
        },
        Some(site),
    );
    result
}

/// An owned permission to join a thread, like `std::thread::JoinHandle`.
pub struct JoinHandle<T> {
    inner: std::thread::JoinHandle<T>,
    thread: Thread,
}

impl<T> JoinHandle<T> {
    /// Waits for the thread to finish; `Err` carries its panic payload.
    #[track_caller]
    pub fn join(self) -> Result<T> {
        recorded_join(self.inner, &self.thread, Location::caller())
    }

    /// The thread's handle.
    pub fn thread(&self) -> &Thread {
        &self.thread
    }

    /// True when the thread's closure has returned or panicked.
    pub fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle").finish_non_exhaustive()
    }
}

/// Creates a scope for spawning threads that borrow from the caller, like
/// `std::thread::scope`. Every thread spawned in it is joined before `scope` returns.
pub fn scope<'env, F, T>(f: F) -> T
where
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> T,
{
    std::thread::scope(|std_scope| f(Scope::from_std(std_scope)))
}

/// A scope to spawn scoped threads in, like `std::thread::Scope`.
///
/// `repr(transparent)` over std's scope so that the `&'scope std::thread::Scope` std hands out
/// can be viewed as a `&'scope Scope` without copying or boxing (std's scope is not movable:
/// its threads refer to it by address).
#[repr(transparent)]
pub struct Scope<'scope, 'env: 'scope> {
    inner: std::thread::Scope<'scope, 'env>,
}

impl<'scope, 'env> Scope<'scope, 'env> {
    fn from_std(inner: &'scope std::thread::Scope<'scope, 'env>) -> &'scope Self {
        let ptr: *const std::thread::Scope<'scope, 'env> = inner;
        // SAFETY: `Scope` is `repr(transparent)` over `std::thread::Scope<'scope, 'env>` with the
        // same lifetime parameters, so both have the same layout and validity; the returned
        // reference has the same lifetime as the one it came from and is never mutable.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// Spawns a scoped thread, like `std::thread::Scope::spawn`.
    ///
    /// # Panics
    /// Like std, if the OS fails to create the thread; use [`Builder::spawn_scoped`] to handle that.
    #[track_caller]
    pub fn spawn<F, T>(&'scope self, f: F) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        Builder::new()
            .spawn_scoped(self, f)
            .expect("failed to spawn thread")
    }
}

impl fmt::Debug for Scope<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

/// An owned permission to join a scoped thread, like `std::thread::ScopedJoinHandle`.
pub struct ScopedJoinHandle<'scope, T> {
    inner: std::thread::ScopedJoinHandle<'scope, T>,
    thread: Thread,
}

impl<T> ScopedJoinHandle<'_, T> {
    /// Waits for the thread to finish; `Err` carries its panic payload.
    #[track_caller]
    pub fn join(self) -> Result<T> {
        recorded_join(self.inner, &self.thread, Location::caller())
    }

    /// The thread's handle.
    pub fn thread(&self) -> &Thread {
        &self.thread
    }

    /// True when the thread's closure has returned or panicked.
    pub fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }
}

impl<T> fmt::Debug for ScopedJoinHandle<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopedJoinHandle").finish_non_exhaustive()
    }
}
