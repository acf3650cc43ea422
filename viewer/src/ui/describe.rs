//! Words for what the model holds: a span's wait target, a site, a time since the trace began.
//! Shared by tooltips, the details panel, the findings list and the tables so that the same
//! thing is always called the same way.

use weft_recorder::event::{LockMode, Outcome, SelectOp, Side};

use crate::model::{
    Model, ObjectIx, ObjectKind, ObjectOp, SiteIx, Span, State, TaskIx, WaitTarget,
};

use super::palette::state_label;
use super::time::format_duration;

/// `file:line`, or "unknown site".
pub fn site(model: &Model, site: SiteIx) -> String {
    model
        .site_label(site)
        .unwrap_or_else(|| "unknown site".to_owned())
}

/// `file.rs:line` without the directories, for narrow places (lane group headers).
pub fn site_short(model: &Model, site: SiteIx) -> String {
    match model.site(site) {
        Some(s) => {
            let file = s.file.rsplit(['/', '\\']).next().unwrap_or(&s.file);
            format!("{file}:{}", s.line)
        }
        None => "unknown site".to_owned(),
    }
}

/// A `file:line` label without the directories: `src/bin/pool.rs:12` → `pool.rs:12`.
pub fn label_short(label: &str) -> &str {
    label.rsplit(['/', '\\']).next().unwrap_or(label)
}

/// A time as seen on the ruler: since the first event of the trace.
pub fn at(model: &Model, ts: u64) -> String {
    format!(
        "+{}",
        format_duration(ts.saturating_sub(model.start_ns()) as f64)
    )
}

/// A task as people call it: its name and recorder id.
pub fn task(model: &Model, t: TaskIx) -> String {
    let name = model.task_name(t);
    let label = weft_recorder::event::task_label(model.task(t).id);
    if name == label {
        label
    } else {
        format!("{name} ({label})")
    }
}

/// An object with its flavour: `channel 3 (bounded 4)`, `mutex 7`.
pub fn object(model: &Model, o: ObjectIx) -> String {
    let name = model.object_name(o);
    match model.object(o).kind {
        ObjectKind::Channel {
            flavor: Some(flavor),
            capacity,
        } => {
            use weft_recorder::event::ChanFlavor;
            match flavor {
                ChanFlavor::Rendezvous => format!("{name} (rendezvous)"),
                ChanFlavor::Bounded => format!("{name} (bounded {capacity})"),
                ChanFlavor::Unbounded => format!("{name} (unbounded)"),
            }
        }
        _ => name,
    }
}

/// What a span waits on, in words: `channel 3 (bounded 4)`, `task 5`, `select over channel 1,
/// channel 2`, or "" for nothing.
pub fn target(model: &Model, target: WaitTarget) -> String {
    match target {
        WaitTarget::Nothing => String::new(),
        WaitTarget::Object(o) => object(model, o),
        WaitTarget::Task(t) => task(model, t),
        WaitTarget::Select(s) => {
            let (_, arms) = model.select(s);
            let names: Vec<String> = arms
                .iter()
                .map(|a| {
                    let op = match a.op {
                        weft_recorder::event::SelectOp::Recv => "recv",
                        weft_recorder::event::SelectOp::Send => "send",
                    };
                    format!("{op} {}", model.object_name(a.channel))
                })
                .collect();
            format!("select over {}", names.join(", "))
        }
    }
}

fn outcome(o: Outcome) -> &'static str {
    match o {
        Outcome::Ok => "ok",
        Outcome::Disconnected => "disconnected",
        Outcome::Timeout => "timed out",
        Outcome::Empty => "empty",
        Outcome::Full => "full",
    }
}

fn mode(m: LockMode) -> &'static str {
    match m {
        LockMode::Exclusive => "",
        LockMode::Shared => " (shared)",
    }
}

/// An operation on an object in words: `send (ok)`, `lock acquired after waiting`.
pub fn op(op: ObjectOp) -> String {
    match op {
        ObjectOp::Create => "created".into(),
        ObjectOp::Send(o) => format!("send ({})", outcome(o)),
        ObjectOp::SendWait => "send waits".into(),
        ObjectOp::TrySend(o) => format!("try_send ({})", outcome(o)),
        ObjectOp::Recv(o) => format!("recv ({})", outcome(o)),
        ObjectOp::RecvWait => "recv waits".into(),
        ObjectOp::TryRecv(o) => format!("try_recv ({})", outcome(o)),
        ObjectOp::SelectWait(SelectOp::Recv) => "select waits to recv".into(),
        ObjectOp::SelectWait(SelectOp::Send) => "select waits to send".into(),
        ObjectOp::SelectDone(SelectOp::Recv, o) => format!("select recv ({})", outcome(o)),
        ObjectOp::SelectDone(SelectOp::Send, o) => format!("select send ({})", outcome(o)),
        ObjectOp::Disconnect(Side::Sender) => "last sender dropped".into(),
        ObjectOp::Disconnect(Side::Receiver) => "last receiver dropped".into(),
        ObjectOp::Acquire(m) => format!("locked{}", mode(m)),
        ObjectOp::Wait(m) => format!("waits for the lock{}", mode(m)),
        ObjectOp::Acquired { mode: m, poisoned } => format!(
            "locked after waiting{}{}",
            mode(m),
            if poisoned { ", poisoned" } else { "" }
        ),
        ObjectOp::TryLock { mode: m, ok } => {
            format!(
                "try_lock{} ({})",
                mode(m),
                if ok { "taken" } else { "refused" }
            )
        }
        ObjectOp::Release(m) => format!("unlocked{}", mode(m)),
        ObjectOp::CondWait => "waits on the condvar".into(),
        ObjectOp::CondWake { timed_out } => {
            if timed_out {
                "condvar wait timed out".into()
            } else {
                "woken from the condvar".into()
            }
        }
        ObjectOp::Notify { all } => {
            if all {
                "notify_all".into()
            } else {
                "notify_one".into()
            }
        }
        ObjectOp::ResourceWait => "waits on the resource".into(),
        ObjectOp::ResourceReady => "resource ready".into(),
        ObjectOp::WaitCancel => "wait cancelled".into(),
        ObjectOp::Lagged => "receiver lagged".into(),
    }
}

/// A span's one-line summary: `blocked: recv on channel 3 — 2.10 ms`.
pub fn span_line(model: &Model, span: &Span) -> String {
    let what = state_label(span.state);
    let on = target(model, span.target);
    let duration = format_duration(span.duration() as f64);
    if on.is_empty() {
        format!("{what} — {duration}")
    } else {
        format!("{what} on {on} — {duration}")
    }
}

/// A short label drawn inside a blocked span: `recv channel 3`.
pub fn span_short(model: &Model, span: &Span) -> String {
    let reason = match span.state {
        State::Blocked(r) => r.as_str(),
        s => return state_label(s).to_owned(),
    };
    match span.target {
        WaitTarget::Nothing => reason.to_owned(),
        WaitTarget::Object(o) => format!("{reason} {}", model.object_name(o)),
        WaitTarget::Task(t) => format!("{reason} {}", model.task_name(t)),
        WaitTarget::Select(_) => reason.to_owned(),
    }
}
