//! The tracing layer for tokio programs: tokio's own instrumentation becomes Weft events, and
//! everything else is the program's own annotations, handed to [`WeftLayer`].
//!
//! Under `--cfg tokio_unstable` (with tokio's `tracing` feature, which the `tokio` feature of
//! this crate turns on) tokio describes itself through tracing:
//! - a `runtime.spawn` span per task, whose `task.id` field is tokio's task id: the span's id is
//!   how the waker events below name the task;
//! - `tokio::task::waker` events (`op` = `waker.clone`, `waker.drop`, `waker.wake`,
//!   `waker.wake_by_ref`; `task.id` = the task's span id) → `WakerClone`, `WakerDrop`,
//!   `TaskWake`;
//! - a `runtime.resource` span per `Mutex`, `RwLock`, `Semaphore`, `Barrier`, `oneshot`,
//!   `Sleep` and `Interval` (`concrete_type`, `loc.*`; `is_internal` for the semaphores inside
//!   the others, which are skipped) → `ResourceCreate`;
//! - per operation on a resource a `runtime.resource.async_op` span (`source` = `Mutex::lock`…)
//!   with a `runtime.resource.async_op.poll` child entered around each poll, inside which
//!   `runtime::resource::poll_op` events say whether the poll was ready. The last one before
//!   the poll span is exited is that poll's outcome: the first not-ready poll records
//!   `ResourceWait`, the ready poll after a wait `ResourceReady`, and an operation dropped while
//!   waiting (its span closes) `WaitCancel`;
//! - `runtime::resource::state_update` events: `locked`, `write_locked` and `current_readers`
//!   give `ResourceAcquire`/`ResourceRelease` of `Mutex` and `RwLock`; a oneshot's
//!   `tx_dropped`/`rx_dropped` give `ChanDisconnect` on the resource.
//!
//! The events are recorded on the thread tokio emits them on, so they belong to the task being
//! polled there (see [`crate::event::attribute`]). State is kept in the spans' extensions, so
//! the layer holds no table of its own.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::{LookupSpan, SpanRef};
use tracing_subscriber::Layer;

use super::runtime::from_tokio_u64;
use crate::event::{EventKind, LockMode, ObjectId, ResourceKind, Side, StrId, TaskId};
use crate::layer::WeftLayer;
use crate::record;

const SPAWN_SPAN: &str = "runtime.spawn";
const RESOURCE_SPAN: &str = "runtime.resource";
const ASYNC_OP_SPAN: &str = "runtime.resource.async_op";
const ASYNC_OP_POLL_SPAN: &str = "runtime.resource.async_op.poll";
const WAKER_TARGET: &str = "tokio::task::waker";
const POLL_OP_TARGET: &str = "runtime::resource::poll_op";
const STATE_UPDATE_TARGET: &str = "runtime::resource::state_update";

/// Records tokio's instrumentation and the program's own spans and events (see
/// [`crate::tokio::layer`]).
#[derive(Debug, Default, Clone, Copy)]
pub struct TokioLayer {
    annotations: WeftLayer,
}

impl TokioLayer {
    /// A new layer; it records only while a session is active.
    pub fn new() -> Self {
        Self::default()
    }
}

/// True for tokio's own spans and events, which are never the program's annotations.
fn is_tokio_instrumentation(meta: &Metadata<'_>) -> bool {
    let target = meta.target();
    target.starts_with("tokio::") || target.starts_with("runtime::resource")
}

/// On a `runtime.spawn` span: the task it stands for.
struct TaskSpan {
    task: TaskId,
}

/// On a `runtime.resource` span.
struct ResourceSpan {
    resource: ObjectId,
    /// Held exclusively (a locked `Mutex`, a write-locked `RwLock`), as its state updates say;
    /// the "unlocked" update tokio sends at creation is then not mistaken for a release.
    exclusive_held: bool,
}

/// On a `runtime.resource.async_op` span: one operation on a resource.
struct AsyncOp {
    resource: ObjectId,
    source: String,
    /// The operation's name, interned in session `epoch`.
    interned: Option<(u32, StrId)>,
    /// Readiness of the last `poll_op` event of the poll in progress.
    last_ready: Option<bool>,
    waiting: bool,
}

/// How a waker was used.
#[derive(Clone, Copy)]
enum WakerOp {
    Clone,
    Drop,
    Wake,
    WakeByRef,
}

/// The fields of tokio's instrumentation this layer reads; strings are copied only for spans.
#[derive(Default)]
struct Fields {
    task_id: Option<u64>,
    task_name: String,
    concrete_type: String,
    loc_file: String,
    loc_line: u64,
    loc_col: u64,
    internal: bool,
    source: String,
    waker_op: Option<WakerOp>,
    ready: Option<bool>,
    locked: Option<bool>,
    write_locked: Option<bool>,
    /// `Some(true)` for a reader added, `Some(false)` for one removed.
    reader_added: Option<bool>,
    tx_dropped: bool,
    rx_dropped: bool,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "task.name" {
            self.task_name = format!("{value:?}");
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "task.name" => self.task_name = value.to_owned(),
            "concrete_type" => self.concrete_type = value.to_owned(),
            "loc.file" => self.loc_file = value.to_owned(),
            "source" => self.source = value.to_owned(),
            "op" => {
                self.waker_op = match value {
                    "waker.clone" => Some(WakerOp::Clone),
                    "waker.drop" => Some(WakerOp::Drop),
                    "waker.wake" => Some(WakerOp::Wake),
                    "waker.wake_by_ref" => Some(WakerOp::WakeByRef),
                    _ => None,
                }
            }
            "current_readers.op" => {
                self.reader_added = match value {
                    "add" => Some(true),
                    "sub" => Some(false),
                    _ => None,
                }
            }
            _ => {}
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "task.id" => self.task_id = Some(value),
            "loc.line" => self.loc_line = value,
            "loc.col" => self.loc_col = value,
            _ => {}
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if let Ok(value) = u64::try_from(value) {
            self.record_u64(field, value);
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        match field.name() {
            "is_internal" => self.internal = value,
            "is_ready" => self.ready = Some(value),
            "locked" => self.locked = Some(value),
            "write_locked" => self.write_locked = Some(value),
            "tx_dropped" => self.tx_dropped = value,
            "rx_dropped" => self.rx_dropped = value,
            _ => {}
        }
    }
}

/// True for a source file of tokio itself (`…/tokio-1.54.1/src/…` from the registry,
/// `…/tokio/src/…` from git or a vendored copy): the resources tokio makes for its own use,
/// like the oneshot its blocking pool waits on at shutdown, are not the program's.
fn is_inside_tokio(file: &str) -> bool {
    let mut parts = file.split(['/', '\\']).peekable();
    while let Some(part) = parts.next() {
        let is_tokio = part == "tokio"
            || part
                .strip_prefix("tokio-")
                .is_some_and(|version| version.starts_with(|c: char| c.is_ascii_digit()));
        if is_tokio && parts.peek() == Some(&"src") {
            return true;
        }
    }
    false
}

fn resource_kind(concrete_type: &str) -> ResourceKind {
    match concrete_type {
        "Mutex" => ResourceKind::Mutex,
        "RwLock" => ResourceKind::RwLock,
        "Semaphore" => ResourceKind::Semaphore,
        "Barrier" => ResourceKind::Barrier,
        "Sender|Receiver" => ResourceKind::Oneshot,
        "Sleep" => ResourceKind::Sleep,
        "Interval" => ResourceKind::Interval,
        _ => ResourceKind::Other,
    }
}

fn emit(kind: EventKind) {
    record::emit(kind, None);
}

impl<S> Layer<S> for TokioLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let meta = attrs.metadata();
        if !is_tokio_instrumentation(meta) {
            return self.annotations.on_new_span(attrs, id, ctx);
        }
        let Some(span) = ctx.span(id) else { return };
        match meta.name() {
            SPAWN_SPAN => {
                let mut fields = Fields::default();
                attrs.record(&mut fields);
                let Some(tokio_id) = fields.task_id else {
                    return;
                };
                let task = from_tokio_u64(tokio_id);
                span.extensions_mut().insert(TaskSpan { task });
                if record::enabled() && !fields.task_name.is_empty() {
                    let name = record::intern(&fields.task_name);
                    emit(EventKind::TaskName { task, name });
                }
            }
            RESOURCE_SPAN => {
                let mut fields = Fields::default();
                attrs.record(&mut fields);
                if fields.internal || is_inside_tokio(&fields.loc_file) {
                    return;
                }
                let resource = record::new_object_id();
                span.extensions_mut().insert(ResourceSpan {
                    resource,
                    exclusive_held: false,
                });
                if record::enabled() {
                    let loc = if fields.loc_file.is_empty() {
                        0
                    } else {
                        let Fields {
                            loc_file,
                            loc_line,
                            loc_col,
                            ..
                        } = &fields;
                        record::intern(&format!("{loc_file}:{loc_line}:{loc_col}"))
                    };
                    let kind = resource_kind(&fields.concrete_type);
                    emit(EventKind::ResourceCreate {
                        resource,
                        kind,
                        loc,
                    });
                }
            }
            ASYNC_OP_SPAN => {
                let Some(resource) = span
                    .parent()
                    .and_then(|p| p.extensions().get::<ResourceSpan>().map(|r| r.resource))
                else {
                    return;
                };
                let mut fields = Fields::default();
                attrs.record(&mut fields);
                span.extensions_mut().insert(AsyncOp {
                    resource,
                    source: fields.source,
                    interned: None,
                    last_ready: None,
                    waiting: false,
                });
            }
            _ => {}
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if ctx
            .metadata(id)
            .is_some_and(|m| !is_tokio_instrumentation(m))
        {
            self.annotations.on_record(id, values, ctx);
        }
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        if ctx
            .metadata(id)
            .is_some_and(|m| !is_tokio_instrumentation(m))
        {
            self.annotations.on_enter(id, ctx);
        }
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        let Some(meta) = ctx.metadata(id) else { return };
        if !is_tokio_instrumentation(meta) {
            return self.annotations.on_exit(id, ctx);
        }
        if meta.name() != ASYNC_OP_POLL_SPAN {
            return;
        }
        let Some(op_span) = ctx.span(id).and_then(|span| span.parent()) else {
            return;
        };
        let mut ext = op_span.extensions_mut();
        if let Some(op) = ext.get_mut::<AsyncOp>() {
            end_of_poll(op);
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        if span.name() != ASYNC_OP_SPAN || !is_tokio_instrumentation(span.metadata()) {
            return;
        }
        let ext = span.extensions();
        if let Some(op) = ext.get::<AsyncOp>().filter(|op| op.waiting) {
            emit(EventKind::WaitCancel {
                object: op.resource,
            });
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let meta = event.metadata();
        if !is_tokio_instrumentation(meta) {
            return self.annotations.on_event(event, ctx);
        }
        match meta.target() {
            WAKER_TARGET => {
                if !record::enabled() {
                    return;
                }
                let mut fields = Fields::default();
                event.record(&mut fields);
                let (Some(op), Some(span_id)) = (fields.waker_op, fields.task_id) else {
                    return;
                };
                let Some(task) = std::num::NonZeroU64::new(span_id)
                    .and_then(|id| ctx.span(&Id::from_non_zero_u64(id)))
                    .and_then(|span| span.extensions().get::<TaskSpan>().map(|t| t.task))
                else {
                    return;
                };
                emit(match op {
                    WakerOp::Clone => EventKind::WakerClone { task },
                    WakerOp::Drop => EventKind::WakerDrop { task },
                    WakerOp::Wake => EventKind::TaskWake {
                        task,
                        consumed: true,
                    },
                    WakerOp::WakeByRef => EventKind::TaskWake {
                        task,
                        consumed: false,
                    },
                });
            }
            POLL_OP_TARGET => {
                let mut fields = Fields::default();
                event.record(&mut fields);
                let Some(ready) = fields.ready else { return };
                let Some(scope) = ctx.event_scope(event) else {
                    return;
                };
                for span in scope {
                    if let Some(op) = span.extensions_mut().get_mut::<AsyncOp>() {
                        op.last_ready = Some(ready);
                        return;
                    }
                }
            }
            STATE_UPDATE_TARGET => {
                let mut fields = Fields::default();
                event.record(&mut fields);
                if let Some(scope) = ctx.event_scope(event) {
                    for span in scope {
                        if update_resource(&span, &fields) {
                            return;
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// A poll of `op` ended: a first not-ready poll begins a wait, a ready poll ends one.
fn end_of_poll(op: &mut AsyncOp) {
    match op.last_ready.take() {
        Some(false) if !op.waiting => {
            op.waiting = true;
            if record::enabled() {
                let epoch = record::epoch();
                let name = match op.interned {
                    Some((e, name)) if e == epoch => name,
                    _ => {
                        let name = record::intern(&op.source);
                        op.interned = Some((epoch, name));
                        name
                    }
                };
                emit(EventKind::ResourceWait {
                    resource: op.resource,
                    op: name,
                });
            }
        }
        Some(true) if op.waiting => {
            op.waiting = false;
            emit(EventKind::ResourceReady {
                resource: op.resource,
            });
        }
        _ => {}
    }
}

/// Applies a state update to `span` if it is a resource; false if it is not one.
fn update_resource<S>(span: &SpanRef<'_, S>, fields: &Fields) -> bool
where
    S: for<'a> LookupSpan<'a>,
{
    let mut ext = span.extensions_mut();
    let Some(res) = ext.get_mut::<ResourceSpan>() else {
        return false;
    };
    let resource = res.resource;
    const EXCL: LockMode = LockMode::Exclusive;
    for held in [fields.locked, fields.write_locked].into_iter().flatten() {
        if held {
            res.exclusive_held = true;
            emit(EventKind::ResourceAcquire {
                resource,
                mode: EXCL,
            });
        } else if std::mem::take(&mut res.exclusive_held) {
            emit(EventKind::ResourceRelease {
                resource,
                mode: EXCL,
            });
        }
    }
    let mode = LockMode::Shared;
    match fields.reader_added {
        Some(true) => emit(EventKind::ResourceAcquire { resource, mode }),
        Some(false) => emit(EventKind::ResourceRelease { resource, mode }),
        None => {}
    }
    let chan = resource;
    if fields.tx_dropped {
        let side = Side::Sender;
        emit(EventKind::ChanDisconnect { chan, side });
    }
    if fields.rx_dropped {
        let side = Side::Receiver;
        emit(EventKind::ChanDisconnect { chan, side });
    }
    true
}

#[cfg(test)]
mod tests {
    use super::is_inside_tokio;

    #[test]
    fn tokio_own_sources_are_told_from_the_program() {
        assert!(is_inside_tokio(
            "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokio-1.54.1/src/runtime/blocking/shutdown.rs"
        ));
        assert!(is_inside_tokio("vendor/tokio/src/sync/oneshot.rs"));
        assert!(is_inside_tokio(r"C:\deps\tokio-1.54.1\src\time\sleep.rs"));
        assert!(!is_inside_tokio("src/main.rs"));
        assert!(!is_inside_tokio("tokio-app/src/main.rs"));
        assert!(!is_inside_tokio("crates/tokio/tests/src.rs"));
        assert!(!is_inside_tokio(""));
    }
}
