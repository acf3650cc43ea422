//! Synthetic traces of any size, for benchmarks and scale tests (`weft gen`).
//!
//! A small discrete-event simulation rather than random events: tasks on their own workers
//! send to and receive from bounded channels, contend for mutexes, sleep and annotate, and
//! every wait ends the way it would in a real program — a receive when a message arrives, a
//! lock wait when the holder releases, a timeout otherwise. So the model sees consistent
//! states, holders and causal links, and the mix of event kinds matches a busy worker pool.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::io::{self, Write};

use crate::event::{ChanFlavor, EventKind, LockKind, LockMode, ObjectId, Outcome, TaskId};
use crate::format::{Header, TraceWriter};

/// The shape of a synthetic trace.
#[derive(Clone, Debug)]
pub struct SynthConfig {
    /// Stop after about this many events.
    pub events: u64,
    /// Tasks, each on its own worker.
    pub tasks: u32,
    /// Bounded channels (capacity 8) shared by all tasks.
    pub channels: u32,
    /// Mutexes shared by all tasks.
    pub locks: u32,
    /// Seed of the deterministic random choices.
    pub seed: u64,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            events: 1_000_000,
            tasks: 64,
            channels: 16,
            locks: 16,
            seed: 0x5eed,
        }
    }
}

/// A small, fast, deterministic generator (xorshift64*); the simulation needs no better.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Waiting {
    No,
    Recv(usize),
    Send(usize, u64),
    Lock(usize),
}

/// What a task does next when its time comes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Wake {
    /// Pick and start the next operation.
    Act,
    /// Release the lock it holds.
    Release(usize),
    /// End a sleep.
    SleepEnd,
    /// A wait with this token times out, unless it already ended.
    Timeout(u64),
}

struct SimTask {
    id: TaskId,
    worker: u32,
    waiting: Waiting,
    wait_token: u64,
}

struct Chan {
    id: ObjectId,
    queue: VecDeque<u64>,
    next_msg: u64,
    receivers: VecDeque<usize>,
    senders: VecDeque<usize>,
}

struct Lock {
    id: ObjectId,
    holder: Option<usize>,
    waiters: VecDeque<usize>,
}

const CAPACITY: usize = 8;
const WAIT_TIMEOUT_NS: u64 = 2_000_000;

/// Writes a synthetic trace of about `cfg.events` events to `out`; `progress(events_written)`
/// is called every 65 536 events.
pub fn generate<W: Write>(
    cfg: &SynthConfig,
    out: W,
    mut progress: impl FnMut(u64),
) -> io::Result<W> {
    let header = Header {
        program: "weft-gen".into(),
        clock: "synthetic".into(),
        ..Header::default()
    };
    let mut w = TraceWriter::new(out, header, None)?;
    let mut rng = Rng(cfg.seed | 1);
    let file = "synth/src/pool.rs";
    let site_spawn = [w.site(file, 20, 9), w.site(file, 24, 9)];
    let site_send = [w.site(file, 41, 13), w.site(file, 57, 17)];
    let site_recv = [w.site(file, 35, 22), w.site(file, 63, 18)];
    let site_lock = [w.site(file, 72, 28), w.site(file, 80, 28)];
    let site_sleep = w.site(file, 90, 9);
    let site_mark = w.site(file, 95, 9);
    let site_create = w.site(file, 12, 19);
    let messages = [
        w.string("job done"),
        w.string("cache miss"),
        w.string("retry"),
    ];

    let main_worker = w.worker("main", 1);
    let main_task: TaskId = 1;
    let main_name = w.string("main");
    w.event(
        main_worker,
        0,
        0,
        EventKind::TaskStart {
            task: main_task,
            name: main_name,
        },
    )?;
    let mut t = 1_000u64;
    let mut next_object: ObjectId = 1;
    let mut chans: Vec<Chan> = Vec::new();
    for _ in 0..cfg.channels.max(1) {
        let id = next_object;
        next_object += 1;
        w.event(
            main_worker,
            t,
            site_create,
            EventKind::ChanCreate {
                chan: id,
                flavor: ChanFlavor::Bounded,
                cap: CAPACITY as u64,
            },
        )?;
        t += 200;
        chans.push(Chan {
            id,
            queue: VecDeque::new(),
            next_msg: 1,
            receivers: VecDeque::new(),
            senders: VecDeque::new(),
        });
    }
    let mut locks: Vec<Lock> = Vec::new();
    for _ in 0..cfg.locks.max(1) {
        let id = next_object;
        next_object += 1;
        w.event(
            main_worker,
            t,
            site_create,
            EventKind::LockCreate {
                lock: id,
                kind: LockKind::Mutex,
            },
        )?;
        t += 200;
        locks.push(Lock {
            id,
            holder: None,
            waiters: VecDeque::new(),
        });
    }
    let mut tasks: Vec<SimTask> = Vec::new();
    let mut heap: BinaryHeap<Reverse<(u64, usize, Wake)>> = BinaryHeap::new();
    for i in 0..cfg.tasks.max(1) as usize {
        let id = 2 + i as TaskId;
        let name = w.string(&format!("worker-{i}"));
        let worker = w.worker(&format!("worker-{i}"), 100 + i as u64);
        w.event(
            main_worker,
            t,
            site_spawn[i % 2],
            EventKind::TaskSpawn { child: id, name },
        )?;
        w.event(
            worker,
            t + 5_000,
            0,
            EventKind::TaskStart { task: id, name },
        )?;
        tasks.push(SimTask {
            id,
            worker,
            waiting: Waiting::No,
            wait_token: 0,
        });
        heap.push(Reverse((t + 6_000, i, Wake::Act)));
        t += 1_000;
    }

    let mut reported = 0u64;
    let mut written = w_events(&w);
    let mut now = t;
    while written < cfg.events {
        let Some(Reverse((at, k, wake))) = heap.pop() else {
            break;
        };
        now = at;
        let worker = tasks[k].worker;
        match wake {
            Wake::Timeout(token) => {
                if tasks[k].wait_token != token {
                    continue;
                }
                match tasks[k].waiting {
                    Waiting::Recv(c) => {
                        chans[c].receivers.retain(|&r| r != k);
                        w.event(
                            worker,
                            at,
                            0,
                            EventKind::RecvEnd {
                                chan: chans[c].id,
                                msg: 0,
                                outcome: Outcome::Timeout,
                            },
                        )?;
                    }
                    Waiting::Send(c, _) => {
                        chans[c].senders.retain(|&s| s != k);
                        w.event(
                            worker,
                            at,
                            0,
                            EventKind::SendEnd {
                                chan: chans[c].id,
                                msg: 0,
                                outcome: Outcome::Timeout,
                            },
                        )?;
                    }
                    Waiting::Lock(_) | Waiting::No => continue,
                }
                tasks[k].waiting = Waiting::No;
                heap.push(Reverse((at + rng.between(200, 2_000), k, Wake::Act)));
            }
            Wake::SleepEnd => {
                w.event(worker, at, 0, EventKind::SleepEnd)?;
                heap.push(Reverse((at + rng.between(200, 2_000), k, Wake::Act)));
            }
            Wake::Release(l) => {
                w.event(
                    worker,
                    at,
                    0,
                    EventKind::LockRelease {
                        lock: locks[l].id,
                        mode: LockMode::Exclusive,
                    },
                )?;
                locks[l].holder = None;
                if let Some(next) = locks[l].waiters.pop_front() {
                    let got = at + 300;
                    locks[l].holder = Some(next);
                    tasks[next].waiting = Waiting::No;
                    w.event(
                        tasks[next].worker,
                        got,
                        0,
                        EventKind::LockAcquired {
                            lock: locks[l].id,
                            mode: LockMode::Exclusive,
                            poisoned: false,
                        },
                    )?;
                    heap.push(Reverse((
                        got + rng.between(100, 5_000),
                        next,
                        Wake::Release(l),
                    )));
                }
                heap.push(Reverse((at + rng.between(200, 3_000), k, Wake::Act)));
            }
            Wake::Act => {
                let roll = rng.below(100);
                if roll < 30 {
                    // Send.
                    let c = rng.below(chans.len() as u64) as usize;
                    let site = site_send[k % 2];
                    let msg = chans[c].next_msg;
                    chans[c].next_msg += 1;
                    let chan = chans[c].id;
                    if let Some(r) = chans[c].receivers.pop_front() {
                        w.event(worker, at, site, EventKind::Send { chan, msg })?;
                        let got = at + 400;
                        tasks[r].waiting = Waiting::No;
                        tasks[r].wait_token += 1;
                        w.event(
                            tasks[r].worker,
                            got,
                            0,
                            EventKind::RecvEnd {
                                chan,
                                msg,
                                outcome: Outcome::Ok,
                            },
                        )?;
                        heap.push(Reverse((got + rng.between(500, 20_000), r, Wake::Act)));
                        heap.push(Reverse((at + rng.between(200, 5_000), k, Wake::Act)));
                    } else if chans[c].queue.len() < CAPACITY {
                        w.event(worker, at, site, EventKind::Send { chan, msg })?;
                        chans[c].queue.push_back(msg);
                        heap.push(Reverse((at + rng.between(200, 5_000), k, Wake::Act)));
                    } else {
                        w.event(worker, at, site, EventKind::SendBegin { chan })?;
                        chans[c].senders.push_back(k);
                        block(&mut tasks[k], Waiting::Send(c, msg), at, k, &mut heap);
                    }
                } else if roll < 60 {
                    // Receive.
                    let c = rng.below(chans.len() as u64) as usize;
                    let site = site_recv[k % 2];
                    let chan = chans[c].id;
                    if let Some(msg) = chans[c].queue.pop_front() {
                        w.event(worker, at, site, EventKind::Recv { chan, msg })?;
                        if let Some(s) = chans[c].senders.pop_front() {
                            if let Waiting::Send(_, sent) = tasks[s].waiting {
                                chans[c].queue.push_back(sent);
                                let done = at + 400;
                                w.event(
                                    tasks[s].worker,
                                    done,
                                    0,
                                    EventKind::SendEnd {
                                        chan,
                                        msg: sent,
                                        outcome: Outcome::Ok,
                                    },
                                )?;
                                tasks[s].waiting = Waiting::No;
                                tasks[s].wait_token += 1;
                                heap.push(Reverse((done + rng.between(200, 5_000), s, Wake::Act)));
                            }
                        }
                        heap.push(Reverse((at + rng.between(1_000, 30_000), k, Wake::Act)));
                    } else {
                        w.event(worker, at, site, EventKind::RecvBegin { chan })?;
                        chans[c].receivers.push_back(k);
                        block(&mut tasks[k], Waiting::Recv(c), at, k, &mut heap);
                    }
                } else if roll < 85 {
                    // Lock.
                    let l = rng.below(locks.len() as u64) as usize;
                    let site = site_lock[k % 2];
                    let lock = locks[l].id;
                    if locks[l].holder.is_none() {
                        locks[l].holder = Some(k);
                        w.event(
                            worker,
                            at,
                            site,
                            EventKind::LockAcquire {
                                lock,
                                mode: LockMode::Exclusive,
                            },
                        )?;
                        heap.push(Reverse((at + rng.between(100, 5_000), k, Wake::Release(l))));
                    } else {
                        w.event(
                            worker,
                            at,
                            site,
                            EventKind::LockWait {
                                lock,
                                mode: LockMode::Exclusive,
                            },
                        )?;
                        locks[l].waiters.push_back(k);
                        tasks[k].waiting = Waiting::Lock(l);
                    }
                } else if roll < 95 {
                    let ns = rng.between(1_000, 100_000);
                    w.event(worker, at, site_sleep, EventKind::SleepBegin { ns })?;
                    heap.push(Reverse((at + ns, k, Wake::SleepEnd)));
                } else {
                    let message = messages[rng.below(3) as usize];
                    w.event(worker, at, site_mark, EventKind::Mark { message, level: 2 })?;
                    heap.push(Reverse((at + rng.between(200, 2_000), k, Wake::Act)));
                }
            }
        }
        written = w_events(&w);
        if written - reported >= 1 << 16 {
            reported = written;
            progress(written);
        }
    }
    // Wind down: every wait ends, every lock is released, every task exits.
    let end = now + 10_000;
    for (k, task) in tasks.iter().enumerate() {
        let ts = end + k as u64;
        match task.waiting {
            Waiting::Recv(c) => w.event(
                task.worker,
                ts,
                0,
                EventKind::RecvEnd {
                    chan: chans[c].id,
                    msg: 0,
                    outcome: Outcome::Disconnected,
                },
            )?,
            Waiting::Send(c, _) => w.event(
                task.worker,
                ts,
                0,
                EventKind::SendEnd {
                    chan: chans[c].id,
                    msg: 0,
                    outcome: Outcome::Disconnected,
                },
            )?,
            Waiting::Lock(_) | Waiting::No => {}
        }
    }
    // Holders release in order, handing each lock to its next waiter until none is left.
    let mut ts = end + tasks.len() as u64 + 1_000;
    for lock in &mut locks {
        while let Some(h) = lock.holder.take() {
            w.event(
                tasks[h].worker,
                ts,
                0,
                EventKind::LockRelease {
                    lock: lock.id,
                    mode: LockMode::Exclusive,
                },
            )?;
            ts += 100;
            if let Some(next) = lock.waiters.pop_front() {
                w.event(
                    tasks[next].worker,
                    ts,
                    0,
                    EventKind::LockAcquired {
                        lock: lock.id,
                        mode: LockMode::Exclusive,
                        poisoned: false,
                    },
                )?;
                lock.holder = Some(next);
                ts += 100;
            }
        }
    }
    for task in &tasks {
        w.event(task.worker, ts, 0, EventKind::TaskExit { panicked: false })?;
        ts += 10;
    }
    let exit = ts + 1_000;
    for task in &tasks {
        w.event(
            main_worker,
            exit,
            0,
            EventKind::JoinEnd {
                task: task.id,
                panicked: false,
            },
        )?;
    }
    w.event(
        main_worker,
        exit + 100,
        0,
        EventKind::TaskExit { panicked: false },
    )?;
    progress(w_events(&w));
    w.finish()
}

fn w_events<W: Write>(w: &TraceWriter<W>) -> u64 {
    w.events_written()
}

fn block(
    task: &mut SimTask,
    waiting: Waiting,
    at: u64,
    k: usize,
    heap: &mut BinaryHeap<Reverse<(u64, usize, Wake)>>,
) {
    task.waiting = waiting;
    task.wait_token += 1;
    heap.push(Reverse((
        at + WAIT_TIMEOUT_NS,
        k,
        Wake::Timeout(task.wait_token),
    )));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_synthetic_trace_reads_back_complete_with_the_requested_size() {
        let cfg = SynthConfig {
            events: 50_000,
            tasks: 8,
            ..SynthConfig::default()
        };
        let bytes = generate(&cfg, Vec::new(), |_| {}).unwrap();
        let trace = crate::format::read_bytes(&bytes).unwrap();
        assert!(trace.loss.is_complete(), "{:?}", trace.loss);
        assert!(trace.events.len() as u64 >= cfg.events);
        assert!(trace.events.len() as u64 <= cfg.events + 200);
        assert_eq!(trace.workers.len(), 9);
        // Every worker's events are in time order and labelled with its task.
        for e in &trace.events {
            assert_ne!(e.task, 0, "{e:?}");
        }
        let per_event = bytes.len() as f64 / trace.events.len() as f64;
        assert!(per_event < 6.0, "{per_event:.2} bytes/event");
    }
}
