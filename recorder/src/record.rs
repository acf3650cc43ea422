//! The hot path: the on/off switch, the current thread's ring and task, and interning.
//!
//! Recording an event is: one relaxed load of the session epoch (0 = not recording), a
//! thread-local access, one clock read (the TSC through `quanta` where it is invariant) and one
//! store into the thread's ring. No lock, no allocation, no syscall. Everything else — turning
//! ticks into nanoseconds, resolving call-site pointers, encoding — happens on the writer thread.
//!
//! A thread attaches to a session the first time it records in it: it gets a ring and a worker
//! id, and its first event is a `TaskStart` naming its task (adopting threads Weft did not spawn).

use std::cell::UnsafeCell;
use std::collections::HashMap;
use std::panic::Location;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::event::{EventKind, ObjectId, RawArgs, StrId, TaskId, WorkerId};
use crate::ring::{Producer, Pushed, RawEvent, Ring, SITE_MASK};

/// A call site as captured by `#[track_caller]`.
pub(crate) type CallSite = &'static Location<'static>;

/// The epoch of the session that records now; 0 when none does. The only thing a disabled
/// primitive looks at.
static EPOCH: AtomicU32 = AtomicU32::new(0);
static NEXT_EPOCH: AtomicU32 = AtomicU32::new(1);
static NEXT_TASK: AtomicU64 = AtomicU64::new(1);
static NEXT_OBJECT: AtomicU64 = AtomicU64::new(1);
/// Events recorded after a thread's thread-locals were torn down: counted, never silent.
pub(crate) static LATE_DROPPED: AtomicU64 = AtomicU64::new(0);

/// The active session, for slow paths only (attaching a thread, interning).
static ACTIVE: Mutex<Option<Arc<Shared>>> = Mutex::new(None);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves the data consistent (every critical
    // section is a single insert or swap), so poisoning is ignored rather than spread.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// State shared between the traced threads and the writer of one session.
pub(crate) struct Shared {
    pub epoch: u32,
    pub clock: quanta::Clock,
    /// Raw clock value at session start: timestamps in the file are nanoseconds since then.
    pub start_raw: u64,
    pub ring_capacity: usize,
    pub rings: Mutex<Vec<Arc<Ring>>>,
    pub interner: Mutex<Interner>,
    next_worker: AtomicU32,
    /// Wakes the writer early when a ring fills up. Never blocks.
    pub wake: crossbeam_channel::Sender<crate::writer::Cmd>,
}

impl Shared {
    pub fn new(ring_capacity: usize, wake: crossbeam_channel::Sender<crate::writer::Cmd>) -> Self {
        let clock = quanta::Clock::new();
        let start_raw = clock.raw();
        Shared {
            epoch: NEXT_EPOCH.fetch_add(1, Ordering::Relaxed),
            clock,
            start_raw,
            ring_capacity,
            rings: Mutex::new(Vec::new()),
            interner: Mutex::new(Interner::default()),
            next_worker: AtomicU32::new(0),
            wake,
        }
    }
}

/// Makes `shared` the recording session. Fails if another session records.
pub(crate) fn activate(shared: Arc<Shared>) -> Result<(), Arc<Shared>> {
    let mut active = lock(&ACTIVE);
    if active.is_some() {
        return Err(shared);
    }
    EPOCH.store(shared.epoch, Ordering::Release);
    *active = Some(shared);
    Ok(())
}

/// Stops recording: later events are not taken; rings already written stay for the final drain.
pub(crate) fn deactivate(epoch: u32) {
    let mut active = lock(&ACTIVE);
    if active.as_ref().is_some_and(|s| s.epoch == epoch) {
        EPOCH.store(0, Ordering::Release);
        *active = None;
    }
}

pub(crate) fn active() -> Option<Arc<Shared>> {
    lock(&ACTIVE).clone()
}

/// Strings interned in one session; the writer takes `pending` after each drain of the rings,
/// so every string an event refers to is written no later than the event.
#[derive(Default)]
pub(crate) struct Interner {
    ids: HashMap<Box<str>, StrId>,
    pub pending: Vec<(StrId, String)>,
}

/// Past this many distinct strings, new ones are recorded as one shared placeholder so a program
/// that formats unique messages cannot grow the recorder without bound.
const MAX_STRINGS: usize = 1 << 20;

impl Interner {
    pub fn intern(&mut self, s: &str) -> StrId {
        if s.is_empty() {
            return 0;
        }
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let key: &str = if self.ids.len() >= MAX_STRINGS {
            "<string table full>"
        } else {
            s
        };
        if let Some(&id) = self.ids.get(key) {
            return id;
        }
        let id = self.ids.len() as StrId + 1;
        self.ids.insert(key.into(), id);
        self.pending.push((id, key.to_owned()));
        id
    }
}

/// The calling thread's recording state.
struct Local {
    epoch: u32,
    ring: Option<Arc<Ring>>,
    producer: Producer,
    clock: Option<quanta::Clock>,
    task: TaskId,
}

impl Drop for Local {
    fn drop(&mut self) {
        // The thread is exiting: its last events are in the ring; the writer drains it and then
        // forgets it.
        if let Some(ring) = &self.ring {
            ring.close();
        }
    }
}

thread_local! {
    static LOCAL: UnsafeCell<Local> = const {
        UnsafeCell::new(Local {
            epoch: 0,
            ring: None,
            producer: Producer::new(),
            clock: None,
            task: 0,
        })
    };
}

/// The recording session's epoch (0 when none records).
pub(crate) fn epoch() -> u32 {
    EPOCH.load(Ordering::Relaxed)
}

/// True while a session records. One relaxed load.
#[inline(always)]
pub(crate) fn enabled() -> bool {
    EPOCH.load(Ordering::Relaxed) != 0
}

/// Packs a call-site pointer into the 48 bits the ring keeps for it. A `Location` is at least
/// 8-aligned, so bit 0 is free to mark tracing metadata (see `site_of_metadata`).
#[inline(always)]
fn site_bits(site: Option<CallSite>) -> u64 {
    match site {
        // A pointer that does not fit (tagged pointers on some platforms) is recorded as no
        // site rather than as a wrong one.
        Some(loc) => match loc as *const Location<'static> as u64 {
            p if p <= SITE_MASK => p,
            _ => 0,
        },
        None => 0,
    }
}

/// Records `kind` at `site` on the current thread's ring (no-op when not recording).
///
/// Inlined into every primitive so that the event's flat form is worked out where the kind is
/// known (mostly constants), and only the store itself is a call.
#[inline(always)]
pub(crate) fn emit(kind: EventKind, site: Option<CallSite>) {
    let epoch = EPOCH.load(Ordering::Relaxed);
    if epoch == 0 {
        return;
    }
    let raw = kind.to_raw();
    push(epoch, head(&raw, site_bits(site)), raw.a, raw.b);
}

/// The ring's packed word of an event: code, small argument and call-site bits.
#[inline(always)]
fn head(raw: &RawArgs, site: u64) -> u64 {
    (raw.code as u64) << 56 | (raw.small as u64) << 48 | site
}

/// Records an event whose site is a tracing callsite's metadata.
pub(crate) fn emit_with_metadata(kind: EventKind, meta: &'static tracing::Metadata<'static>) {
    let epoch = EPOCH.load(Ordering::Relaxed);
    if epoch == 0 {
        return;
    }
    let bits = match meta as *const tracing::Metadata<'static> as u64 {
        p if p <= SITE_MASK => p | 1,
        _ => 0,
    };
    let raw = kind.to_raw();
    push(epoch, head(&raw, bits), raw.a, raw.b);
}

/// Stores one event, already in its ring form, on the current thread's ring. Four register
/// arguments, so the call from each inlined `emit` is a few moves.
#[inline(never)]
fn push(epoch: u32, head: u64, a: u64, b: u64) {
    let stored = LOCAL.try_with(|cell| {
        // SAFETY: `LOCAL` is only touched by this module's functions, none of which re-enters
        // another while holding the reference (attach and the writer wake call no user code).
        let local = unsafe { &mut *cell.get() };
        push_into(local, epoch, head, a, b);
    });
    if stored.is_err() {
        LATE_DROPPED.fetch_add(1, Ordering::Relaxed);
    }
}

#[inline(always)]
fn push_into(local: &mut Local, epoch: u32, head: u64, a: u64, b: u64) {
    if local.epoch != epoch && !attach(local, epoch) {
        return;
    }
    let (Some(ring), Some(clock)) = (&local.ring, &local.clock) else {
        return;
    };
    let ev = RawEvent {
        ts: clock.raw(),
        head,
        a,
        b,
    };
    match local.producer.push(ring, ev) {
        Pushed::HalfFull => wake_writer(),
        // The writer was woken but has not run: where every core is busy (a spinning
        // ping-pong on two cores) the scheduler may not give it one before the ring
        // overflows. Offering this thread's turn, once per fill, lets it in; on a machine with
        // a free core the yield returns at once. Measured: a fast ping-pong dropped ~140 k of
        // 1.2 M events in ten runs without it and none with it, at the same speed.
        Pushed::NearlyFull => std::thread::yield_now(),
        Pushed::Stored | Pushed::Dropped => {}
    }
}

/// A slow path's event with no call site.
fn push_kind(local: &mut Local, epoch: u32, kind: EventKind) {
    let raw = kind.to_raw();
    push_into(local, epoch, head(&raw, 0), raw.a, raw.b);
}

#[cold]
fn wake_writer() {
    if let Some(shared) = active() {
        let _ = shared.wake.try_send(crate::writer::Cmd::Wake);
    }
}

/// Joins the calling thread to session `epoch`: a fresh ring, registered with the writer, that
/// starts with a `TaskStart` so the stream says whose events follow. False if that session has
/// ended meanwhile.
#[cold]
fn attach(local: &mut Local, epoch: u32) -> bool {
    let Some(shared) = active().filter(|s| s.epoch == epoch) else {
        return false;
    };
    let current = std::thread::current();
    let name = current.name().unwrap_or("").to_owned();
    let worker: WorkerId = shared.next_worker.fetch_add(1, Ordering::Relaxed);
    let ring = Arc::new(Ring::new(
        shared.ring_capacity,
        worker,
        os_thread_id(),
        name.clone(),
    ));
    lock(&shared.rings).push(ring.clone());
    if let Some(old) = local.ring.replace(ring) {
        old.close();
    }
    local.producer = Producer::new();
    local.clock = Some(shared.clock.clone());
    local.epoch = epoch;
    if local.task == 0 {
        local.task = new_task_id();
    }
    let name = lock(&shared.interner).intern(&name);
    let task = local.task;
    push_kind(local, epoch, EventKind::TaskStart { task, name });
    true
}

fn os_thread_id() -> u64 {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid has no preconditions. Called once per thread per session.
        (unsafe { libc_gettid() }) as u64
    }
    #[cfg(not(target_os = "linux"))]
    {
        0
    }
}

#[cfg(target_os = "linux")]
unsafe fn libc_gettid() -> i32 {
    extern "C" {
        fn gettid() -> i32;
    }
    // SAFETY: declared with the libc signature; glibc and musl both provide it.
    unsafe { gettid() }
}

/// Interns a string for the current session (0 when not recording).
pub(crate) fn intern(s: &str) -> StrId {
    match active() {
        Some(shared) => lock(&shared.interner).intern(s),
        None => 0,
    }
}

/// A fresh process-wide task id (never 0).
pub(crate) fn new_task_id() -> TaskId {
    NEXT_TASK.fetch_add(1, Ordering::Relaxed)
}

/// A fresh process-wide object id (never 0).
pub(crate) fn new_object_id() -> ObjectId {
    NEXT_OBJECT.fetch_add(1, Ordering::Relaxed)
}

/// The task the current thread runs (adopting the thread as a task on first use).
pub(crate) fn current_task() -> TaskId {
    LOCAL
        .try_with(|cell| {
            // SAFETY: see `push`.
            let local = unsafe { &mut *cell.get() };
            if local.task == 0 {
                local.task = new_task_id();
            }
            local.task
        })
        .unwrap_or(0)
}

/// Called first thing on a thread spawned through Weft: it now runs `task`; records `TaskStart`.
/// The task is set even when nothing records, so `Thread::unpark` targets stay right.
pub(crate) fn begin_task(task: TaskId, name: StrId) {
    let _ = LOCAL.try_with(|cell| {
        // SAFETY: see `push`.
        let local = unsafe { &mut *cell.get() };
        local.task = task;
        let epoch = EPOCH.load(Ordering::Relaxed);
        if epoch == 0 {
            return;
        }
        if local.epoch == epoch {
            // A thread already attached (reused) says which task it runs now.
            push_kind(local, epoch, EventKind::TaskStart { task, name });
        } else {
            // Attaching records the TaskStart, named after the thread.
            attach(local, epoch);
        }
    });
}
