//! Hand-built traces for unit tests: exact event sequences, including ones a real run produces
//! only by bad luck (a sender that leaks, a lock released just before its holder exits).

use std::collections::HashMap;

use weft_recorder::event::{Event, EventKind, SiteId, StrId, TaskId, WorkerId};
use weft_recorder::format::{Site, Trace, WorkerInfo};

/// The file every test site lives in.
pub const FILE: &str = "src/demo.rs";

/// Builds a [`Trace`]; each task runs on its own worker, like std threads.
#[derive(Clone)]
pub struct TraceBuilder {
    trace: Trace,
    worker_of: HashMap<TaskId, WorkerId>,
    sites: HashMap<u32, SiteId>,
    names: HashMap<String, StrId>,
}

impl TraceBuilder {
    pub fn new() -> Self {
        let mut trace = Trace::default();
        trace.header.program = "demo".into();
        trace.strings.push(String::new());
        trace.sites.push(Site::default());
        trace.loss.clean_end = true;
        TraceBuilder {
            trace,
            worker_of: HashMap::new(),
            sites: HashMap::new(),
            names: HashMap::new(),
        }
    }

    /// The site `src/demo.rs:line`.
    pub fn site(&mut self, line: u32) -> SiteId {
        if let Some(&id) = self.sites.get(&line) {
            return id;
        }
        let id = self.trace.sites.len() as SiteId;
        self.trace.sites.push(Site {
            file: FILE.into(),
            line,
            col: 5,
        });
        self.sites.insert(line, id);
        id
    }

    pub fn name(&mut self, s: &str) -> StrId {
        if let Some(&id) = self.names.get(s) {
            return id;
        }
        let id = self.trace.strings.len() as StrId;
        self.trace.strings.push(s.into());
        self.names.insert(s.into(), id);
        id
    }

    /// One event of `task` at `ts`, called from `line` (0 = no site).
    pub fn ev(&mut self, ts: u64, task: TaskId, line: u32, kind: EventKind) -> &mut Self {
        self.ev_on(ts, task, task, line, kind)
    }

    /// One event of `task` recorded on the worker (OS thread) of task `thread`: how a tokio
    /// task's events appear, on whichever runtime worker polls it.
    pub fn ev_on(
        &mut self,
        ts: u64,
        thread: TaskId,
        task: TaskId,
        line: u32,
        kind: EventKind,
    ) -> &mut Self {
        let next = self.worker_of.len() as WorkerId;
        let worker = *self.worker_of.entry(thread).or_insert(next);
        while self.trace.workers.len() <= worker as usize {
            self.trace.workers.push(WorkerInfo {
                os_tid: 1000 + worker as u64,
                name: String::new(),
            });
        }
        let site = if line == 0 { 0 } else { self.site(line) };
        self.trace.events.push(Event {
            ts,
            worker,
            task,
            site,
            kind,
        });
        self
    }

    /// `task` starts (adopted when nothing spawned it).
    pub fn start(&mut self, ts: u64, task: TaskId, name: &str) -> &mut Self {
        let name = self.name(name);
        self.ev(ts, task, 0, EventKind::TaskStart { task, name })
    }

    /// `parent` spawns `child` named `name` at `line`, and the child starts 1 ns later.
    pub fn spawn(
        &mut self,
        ts: u64,
        parent: TaskId,
        child: TaskId,
        name: &str,
        line: u32,
    ) -> &mut Self {
        let name_id = self.name(name);
        self.ev(
            ts,
            parent,
            line,
            EventKind::TaskSpawn {
                child,
                name: name_id,
            },
        );
        self.start(ts + 1, child, name)
    }

    /// Runtime worker `thread` begins polling tokio task `task`.
    pub fn poll_begin(&mut self, ts: u64, thread: TaskId, task: TaskId) -> &mut Self {
        self.ev_on(ts, thread, task, 0, EventKind::PollBegin { task })
    }

    /// The poll of `task` on `thread` returns; the worker runs its own task again.
    pub fn poll_end(&mut self, ts: u64, thread: TaskId, task: TaskId) -> &mut Self {
        let resume = thread;
        self.ev_on(ts, thread, task, 0, EventKind::PollEnd { task, resume })
    }

    pub fn exit(&mut self, ts: u64, task: TaskId) -> &mut Self {
        self.ev(ts, task, 0, EventKind::TaskExit { panicked: false })
    }

    /// The trace, as the reader would return it (sorted by time, worker order kept).
    pub fn finish(&mut self) -> Trace {
        let mut trace = std::mem::take(&mut self.trace);
        trace.events.sort_by_key(|e| e.ts);
        trace
    }

    /// The trace of a program that did not shut the recorder down cleanly.
    pub fn finish_unclean(&mut self) -> Trace {
        let mut trace = self.finish();
        trace.loss.clean_end = false;
        trace
    }
}

/// A small deterministic generator for tests (xorshift64 from `seed`, which must not be 0):
/// each call gives a value below its bound (0 for a bound of 0).
pub fn below(mut seed: u64) -> impl FnMut(u64) -> u64 {
    move |bound| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % bound.max(1)
    }
}
