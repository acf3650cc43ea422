//! Helpers shared by the tokio tests: the global subscriber, a recorded runtime run, and
//! renumbering ids so expected sequences read `PollBegin { task: 2 }`, not process-wide ids.

#![allow(dead_code)] // each test file uses its own part

use std::collections::HashMap;
use std::sync::Once;

use tracing_subscriber::layer::SubscriberExt;
use weft_recorder::event::{Event, EventKind, EventKind::*, TaskId};
use weft_recorder::format::Trace;
use weft_recorder::testing;

/// Installs the Weft tokio layer as the global subscriber, once per test binary, so tokio's
/// instrumentation (under `tokio_unstable`) reaches it from every worker thread.
pub fn install_layer() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let subscriber = tracing_subscriber::registry().with(weft_recorder::tokio::layer());
        // `weft_recorder::tokio::run` may have installed the same layer first.
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

/// Records `body` run to completion on a fresh runtime (built inside the recording, dropped
/// before it ends), returning the trace and the recording thread's task.
pub fn record_runtime<F>(
    builder: fn() -> tokio::runtime::Builder,
    configure: impl FnOnce(&mut tokio::runtime::Builder),
    body: impl FnOnce() -> F,
) -> (Trace, TaskId)
where
    F: std::future::Future,
{
    install_layer();
    let mut main = 0;
    let trace = testing::record(|| {
        main = weft_recorder::thread::current().task_id();
        let mut b = builder();
        configure(&mut b);
        let rt = b.build().expect("runtime");
        rt.block_on(body());
    });
    (trace, main)
}

/// Renumbers task and object ids in order of first appearance and blanks strings.
#[derive(Default)]
pub struct Canon {
    tasks: HashMap<u64, u64>,
    objects: HashMap<u64, u64>,
}

fn renumber(map: &mut HashMap<u64, u64>, id: u64) -> u64 {
    if id == 0 {
        return 0;
    }
    let next = map.len() as u64 + 1;
    *map.entry(id).or_insert(next)
}

impl Canon {
    /// A canon where `tasks` are numbered 1, 2, … in the given order.
    pub fn with_tasks(tasks: &[TaskId]) -> Self {
        let mut canon = Canon::default();
        for &task in tasks {
            canon.task(task);
        }
        canon
    }

    pub fn task(&mut self, id: TaskId) -> u64 {
        renumber(&mut self.tasks, id)
    }

    pub fn obj(&mut self, id: u64) -> u64 {
        renumber(&mut self.objects, id)
    }

    pub fn kind(&mut self, kind: EventKind) -> EventKind {
        match kind {
            TaskSpawn { child, .. } => TaskSpawn {
                child: self.task(child),
                name: 0,
            },
            TaskStart { task, .. } => TaskStart {
                task: self.task(task),
                name: 0,
            },
            PollBegin { task } => PollBegin {
                task: self.task(task),
            },
            PollEnd { task, resume } => PollEnd {
                task: self.task(task),
                resume: self.task(resume),
            },
            TaskTerminate { task } => TaskTerminate {
                task: self.task(task),
            },
            TaskName { task, .. } => TaskName {
                task: self.task(task),
                name: 0,
            },
            TaskWake { task, consumed } => TaskWake {
                task: self.task(task),
                consumed,
            },
            WakerClone { task } => WakerClone {
                task: self.task(task),
            },
            WakerDrop { task } => WakerDrop {
                task: self.task(task),
            },
            ChanCreate { chan, flavor, cap } => ChanCreate {
                chan: self.obj(chan),
                flavor,
                cap,
            },
            Send { chan, msg } => Send {
                chan: self.obj(chan),
                msg,
            },
            SendBegin { chan } => SendBegin {
                chan: self.obj(chan),
            },
            SendEnd { chan, msg, outcome } => SendEnd {
                chan: self.obj(chan),
                msg,
                outcome,
            },
            TrySend { chan, msg, outcome } => TrySend {
                chan: self.obj(chan),
                msg,
                outcome,
            },
            Recv { chan, msg } => Recv {
                chan: self.obj(chan),
                msg,
            },
            RecvBegin { chan } => RecvBegin {
                chan: self.obj(chan),
            },
            RecvEnd { chan, msg, outcome } => RecvEnd {
                chan: self.obj(chan),
                msg,
                outcome,
            },
            TryRecv { chan, msg, outcome } => TryRecv {
                chan: self.obj(chan),
                msg,
                outcome,
            },
            ChanDisconnect { chan, side } => ChanDisconnect {
                chan: self.obj(chan),
                side,
            },
            RecvLagged { chan, missed } => RecvLagged {
                chan: self.obj(chan),
                missed,
            },
            WaitCancel { object } => WaitCancel {
                object: self.obj(object),
            },
            ResourceCreate { resource, kind, .. } => ResourceCreate {
                resource: self.obj(resource),
                kind,
                loc: 0,
            },
            ResourceWait { resource, .. } => ResourceWait {
                resource: self.obj(resource),
                op: 0,
            },
            ResourceReady { resource } => ResourceReady {
                resource: self.obj(resource),
            },
            ResourceAcquire { resource, mode } => ResourceAcquire {
                resource: self.obj(resource),
                mode,
            },
            ResourceRelease { resource, mode } => ResourceRelease {
                resource: self.obj(resource),
                mode,
            },
            other => other,
        }
    }

    /// `(task, kind)` of each event, renumbered.
    pub fn events<'a>(
        &mut self,
        events: impl IntoIterator<Item = &'a Event>,
    ) -> Vec<(u64, EventKind)> {
        events
            .into_iter()
            .map(|e| (self.task(e.task), self.kind(e.kind)))
            .collect()
    }
}

/// The site of `event` as `file:line`, for messages and checks.
pub fn site(trace: &Trace, event: &Event) -> String {
    trace
        .site(event.site)
        .map_or_else(String::new, |s| s.to_string())
}

/// Asserts `event` was recorded at `line` of test file `file`.
pub fn assert_site(trace: &Trace, event: &Event, file: &str, line: u32) {
    let at = trace
        .site(event.site)
        .unwrap_or_else(|| panic!("{:?} has no site", event.kind));
    assert!(
        at.file.ends_with(file) && at.line == line,
        "{:?} recorded at {at}, expected {file}:{line}",
        event.kind
    );
}

/// The 1-based line of `source` that ends with the comment `marker` (exactly one must), so
/// tests name lines by marker rather than by number.
pub fn line_of(source: &str, marker: &str) -> u32 {
    let lines: Vec<u32> = (1..)
        .zip(source.lines())
        .filter(|(_, text)| text.trim_end().ends_with(marker))
        .map(|(n, _)| n)
        .collect();
    match lines[..] {
        [line] => line,
        _ => panic!("`{marker}` ends {} lines, not one", lines.len()),
    }
}
