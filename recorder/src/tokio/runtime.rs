//! The runtime hooks: worker lanes and idle time from tokio's stable thread hooks, and — under
//! `tokio_unstable` — every task's spawn, polls and termination from its task hooks.
//!
//! Each hook records one event on the thread tokio calls it on, through the ordinary hot path
//! (one relaxed load when not recording; no lock or allocation). A tokio task id becomes a Weft
//! task id by adding [`TOKIO_TASK_BASE`], so no table maps one to the other.

use ::tokio::runtime::Builder;

use crate::event::{EventKind, TaskId, TOKIO_TASK_BASE};
use crate::record;

/// `Builder::new_multi_thread().enable_all()` with Weft's hooks (see [`instrument`]).
pub fn runtime() -> Builder {
    let mut builder = Builder::new_multi_thread();
    builder.enable_all();
    instrument(&mut builder);
    builder
}

/// `Builder::new_current_thread().enable_all()` with Weft's hooks (see [`instrument`]).
pub fn current_thread() -> Builder {
    let mut builder = Builder::new_current_thread();
    builder.enable_all();
    instrument(&mut builder);
    builder
}

/// Adds Weft's hooks to `builder`: thread start/stop and park/unpark always; task spawn, poll
/// and terminate under `tokio_unstable`. Tokio keeps one callback per hook, so these replace
/// any set before (and are replaced by any set after).
pub fn instrument(builder: &mut Builder) -> &mut Builder {
    builder
        .on_thread_start(|| record::emit(EventKind::RuntimeThreadStart, None))
        .on_thread_stop(|| record::emit(EventKind::RuntimeThreadStop, None))
        .on_thread_park(|| record::emit(EventKind::WorkerPark, None))
        .on_thread_unpark(|| record::emit(EventKind::WorkerUnpark, None));
    #[cfg(tokio_unstable)]
    task_hooks(builder);
    super::announce();
    builder
}

#[cfg(tokio_unstable)]
fn task_hooks(builder: &mut Builder) {
    builder
        .on_task_spawn(|meta| {
            if record::enabled() {
                let child = weft_task(meta.id());
                record::emit(
                    EventKind::TaskSpawn { child, name: 0 },
                    Some(meta.spawned_at()),
                );
            }
        })
        .on_before_task_poll(|meta| {
            if record::enabled() {
                let task = weft_task(meta.id());
                record::emit(EventKind::PollBegin { task }, None);
            }
        })
        .on_after_task_poll(|meta| {
            if record::enabled() {
                let task = weft_task(meta.id());
                let resume = record::current_task();
                record::emit(EventKind::PollEnd { task, resume }, None);
            }
        })
        .on_task_terminate(|meta| {
            if record::enabled() {
                let task = weft_task(meta.id());
                record::emit(EventKind::TaskTerminate { task }, None);
            }
        });
}

/// The Weft task id of tokio task `id`.
#[cfg(tokio_unstable)]
pub(crate) fn weft_task(id: ::tokio::task::Id) -> TaskId {
    from_tokio_u64(tokio_id_u64(id))
}

/// The Weft task id of the tokio task whose id, as a number, is `id` (as tokio's own
/// instrumentation reports it in `runtime.spawn` spans).
pub(crate) fn from_tokio_u64(id: u64) -> TaskId {
    TOKIO_TASK_BASE.saturating_add(id)
}

/// Tokio's task id as a number. `tokio::task::Id` exposes it only through `Display` and `Hash`;
/// hashing into a hasher that keeps the `u64` it is given reads it without formatting or
/// allocating. (A test checks this against the `Display` form, should tokio change its `Hash`.)
#[cfg(tokio_unstable)]
pub(crate) fn tokio_id_u64(id: ::tokio::task::Id) -> u64 {
    use std::hash::{Hash, Hasher};

    struct KeepU64(u64);
    impl Hasher for KeepU64 {
        fn finish(&self) -> u64 {
            self.0
        }
        fn write(&mut self, bytes: &[u8]) {
            // Not reached while `Id` hashes one `u64`; folds anything else deterministically.
            for &b in bytes {
                self.0 = self.0.rotate_left(8) ^ u64::from(b);
            }
        }
        fn write_u64(&mut self, v: u64) {
            self.0 = v;
        }
    }

    let mut hasher = KeepU64(0);
    id.hash(&mut hasher);
    hasher.finish()
}

#[cfg(all(test, tokio_unstable))]
mod tests {
    use super::*;

    #[test]
    fn tokio_task_ids_read_through_hash_match_their_display_form() {
        let rt = Builder::new_current_thread().build().unwrap();
        for _ in 0..3 {
            let handle = rt.spawn(async {});
            let id = handle.id();
            assert_eq!(tokio_id_u64(id).to_string(), id.to_string());
            assert!(weft_task(id) > TOKIO_TASK_BASE);
            rt.block_on(handle).unwrap();
        }
    }
}
