//! The samples, their sources and their ground truth, in one table.
//!
//! Every site is resolved from a marker comment in the sample's source when this crate compiles
//! (see [`crate::site`]), so editing a sample moves its truth with it, and a marker lost in an
//! edit breaks the build.
//!
//! A tokio sample has two truths: what a trace of a `--cfg tokio_unstable` build shows (every
//! task, wake and tokio resource) and what a default build's shows (runtime workers and the
//! `weft_recorder::tokio::sync` wrappers only).

use crate::site::SourceSite;
use crate::truth::{
    BlockedOn, Deadlock, DeadlockObject, ExpectedLint, Leak, Lint, ObjectKind, Truth, WaitKind,
};

/// The site of the line marked `// <marker>` in `src/bin/<bin>.rs`, with the file named the way
/// `#[track_caller]` names it in this workspace.
macro_rules! site {
    ($bin:literal, $marker:literal) => {
        SourceSite::at_marker(
            concat!("sample-programs/src/bin/", $bin, ".rs"),
            include_str!(concat!("bin/", $bin, ".rs")),
            $marker,
        )
    };
}

/// One sample: its binary name, its source text and its truth.
pub(crate) struct Sample {
    pub name: &'static str,
    pub source: &'static str,
    /// The truth about a trace recorded with `--cfg tokio_unstable` (for a sample without
    /// tokio, the truth whatever the build).
    pub truth: Truth,
    /// The truth about a trace recorded without `tokio_unstable`, when it differs.
    pub truth_without_tokio_unstable: Option<Truth>,
}

impl Sample {
    /// The truth about a trace of a build with (`true`) or without `--cfg tokio_unstable`.
    pub fn truth(&self, tokio_unstable: bool) -> Truth {
        match self.truth_without_tokio_unstable {
            Some(truth) if !tokio_unstable => truth,
            _ => self.truth,
        }
    }
}

/// The truth of a sample with nothing to report.
macro_rules! nothing_to_report {
    ($bin:literal) => {
        Truth {
            sample: $bin,
            leaks: &[],
            deadlocks: &[],
            potential_deadlocks: 0,
            lints: &[],
        }
    };
}

/// A sample with nothing to report.
macro_rules! healthy {
    ($bin:literal) => {
        Sample {
            name: $bin,
            source: include_str!(concat!("bin/", $bin, ".rs")),
            truth: nothing_to_report!($bin),
            truth_without_tokio_unstable: None,
        }
    };
}

/// A sample with findings: `truth` is the `Truth` for it.
macro_rules! with_findings {
    ($bin:literal, $truth:expr) => {
        Sample {
            name: $bin,
            source: include_str!(concat!("bin/", $bin, ".rs")),
            truth: $truth,
            truth_without_tokio_unstable: None,
        }
    };
}

/// A tokio sample whose findings only a `tokio_unstable` build records: without it the trace
/// shows nothing to report.
macro_rules! needs_tokio_unstable {
    ($bin:literal, $truth:expr) => {
        Sample {
            name: $bin,
            source: include_str!(concat!("bin/", $bin, ".rs")),
            truth: $truth,
            truth_without_tokio_unstable: Some(nothing_to_report!($bin)),
        }
    };
}

/// Every sample: the patterns first, then the pitfalls.
pub(crate) const SAMPLES: &[Sample] = &[
    healthy!("worker_pool"),
    healthy!("fan_out_fan_in"),
    healthy!("pipeline"),
    healthy!("cancel_on_error"),
    healthy!("rate_limiter"),
    healthy!("singleflight"),
    healthy!("once_init"),
    healthy!("object_pool"),
    with_findings!("bounded_vs_unbounded", BOUNDED_VS_UNBOUNDED),
    healthy!("backpressure"),
    healthy!("select_timeout"),
    // The patterns together, for as many events as asked (1 M, 10 M): scale, from a real run.
    healthy!("long_run"),
    with_findings!("leak_blocked_send", LEAK_BLOCKED_SEND),
    with_findings!("leak_blocked_recv", LEAK_BLOCKED_RECV),
    with_findings!("deadlock_lock_order", DEADLOCK_LOCK_ORDER),
    with_findings!("lock_order_inversion_latent", LOCK_ORDER_INVERSION_LATENT),
    with_findings!("deadlock_channels", DEADLOCK_CHANNELS),
    with_findings!("mutex_contention", MUTEX_CONTENTION),
    healthy!("mutex_contention_fixed"),
    with_findings!("lock_held_while_blocking", LOCK_HELD_WHILE_BLOCKING),
    with_findings!("busy_wait", BUSY_WAIT),
    with_findings!("send_on_disconnected", SEND_ON_DISCONNECTED),
    // Tokio: the patterns, then the pitfalls.
    healthy!("tokio_worker_pool"),
    healthy!("tokio_fan_out_fan_in"),
    healthy!("tokio_pipeline"),
    healthy!("tokio_cancellation"),
    needs_tokio_unstable!("tokio_leak_recv", TOKIO_LEAK_RECV),
    needs_tokio_unstable!("tokio_lost_waker", TOKIO_LOST_WAKER),
    // A blocking call on a runtime worker shows in both builds: with tokio_unstable as a long
    // poll of the task, without it as a long block of the worker thread.
    with_findings!("tokio_blocking_in_task", TOKIO_BLOCKING_IN_TASK),
    // The current-thread runtime parks main's thread while its future awaits holding the lock:
    // visible in both builds.
    with_findings!("tokio_std_mutex_across_await", TOKIO_STD_MUTEX_ACROSS_AWAIT),
    // Tokio reports its Mutex only under tokio_unstable.
    needs_tokio_unstable!("tokio_mutex_contention", TOKIO_MUTEX_CONTENTION),
];

const BOUNDED_VS_UNBOUNDED: Truth = Truth {
    sample: "bounded_vs_unbounded",
    leaks: &[],
    deadlocks: &[],
    potential_deadlocks: 0,
    lints: &[ExpectedLint {
        lint: Lint::UnboundedSpawning,
        site: site!("bounded_vs_unbounded", "weft:spawn-handler"),
    }],
};

/// Two slow lookups, spawned at one site, stuck sending their answers.
const LEAK_BLOCKED_SEND: Truth = {
    const LOOKUP_LEAK: Leak = Leak {
        name: "",
        spawn_site: site!("leak_blocked_send", "weft:spawn-lookup"),
        blocked_on: BlockedOn {
            kind: WaitKind::Send,
            site: Some(site!("leak_blocked_send", "weft:leak-send")),
            object_created_at: Some(site!("leak_blocked_send", "weft:answer-channel")),
        },
    };
    Truth {
        sample: "leak_blocked_send",
        leaks: &[
            Leak {
                name: "lookup-1",
                ..LOOKUP_LEAK
            },
            Leak {
                name: "lookup-3",
                ..LOOKUP_LEAK
            },
        ],
        deadlocks: &[],
        potential_deadlocks: 0,
        lints: &[],
    }
};

const LEAK_BLOCKED_RECV: Truth = Truth {
    sample: "leak_blocked_recv",
    leaks: &[Leak {
        name: "config-watcher",
        spawn_site: site!("leak_blocked_recv", "weft:spawn-watcher"),
        blocked_on: BlockedOn {
            kind: WaitKind::Recv,
            site: Some(site!("leak_blocked_recv", "weft:leak-recv")),
            object_created_at: Some(site!("leak_blocked_recv", "weft:reload-channel")),
        },
    }],
    deadlocks: &[],
    potential_deadlocks: 0,
    lints: &[],
};

/// Each transfer holds its source account and waits for its destination.
const DEADLOCK_LOCK_ORDER: Truth = {
    const CHECKING: SourceSite = site!("deadlock_lock_order", "weft:account-checking");
    const SAVINGS: SourceSite = site!("deadlock_lock_order", "weft:account-savings");
    const SPAWN: SourceSite = site!("deadlock_lock_order", "weft:spawn-transfer");
    const WAIT: SourceSite = site!("deadlock_lock_order", "weft:lock-to");
    Truth {
        sample: "deadlock_lock_order",
        leaks: &[
            Leak {
                name: "transfer-to-checking",
                spawn_site: SPAWN,
                blocked_on: BlockedOn {
                    kind: WaitKind::Lock,
                    site: Some(WAIT),
                    object_created_at: Some(CHECKING),
                },
            },
            Leak {
                name: "transfer-to-savings",
                spawn_site: SPAWN,
                blocked_on: BlockedOn {
                    kind: WaitKind::Lock,
                    site: Some(WAIT),
                    object_created_at: Some(SAVINGS),
                },
            },
        ],
        deadlocks: &[Deadlock {
            tasks: &["transfer-to-checking", "transfer-to-savings"],
            objects: &[
                DeadlockObject {
                    kind: ObjectKind::Lock,
                    created_at: CHECKING,
                },
                DeadlockObject {
                    kind: ObjectKind::Lock,
                    created_at: SAVINGS,
                },
            ],
        }],
        potential_deadlocks: 1,
        lints: &[
            ExpectedLint {
                lint: Lint::LockHeldLong,
                site: CHECKING,
            },
            ExpectedLint {
                lint: Lint::LockHeldLong,
                site: SAVINGS,
            },
        ],
    }
};

const LOCK_ORDER_INVERSION_LATENT: Truth = Truth {
    sample: "lock_order_inversion_latent",
    leaks: &[],
    deadlocks: &[],
    potential_deadlocks: 1,
    lints: &[],
};

/// Alice and Bob each wait to receive from the other.
const DEADLOCK_CHANNELS: Truth = {
    const TO_ALICE: SourceSite = site!("deadlock_channels", "weft:chan-to-alice");
    const TO_BOB: SourceSite = site!("deadlock_channels", "weft:chan-to-bob");
    Truth {
        sample: "deadlock_channels",
        leaks: &[
            Leak {
                name: "alice",
                spawn_site: site!("deadlock_channels", "weft:spawn-alice"),
                blocked_on: BlockedOn {
                    kind: WaitKind::Recv,
                    site: Some(site!("deadlock_channels", "weft:alice-waits")),
                    object_created_at: Some(TO_ALICE),
                },
            },
            Leak {
                name: "bob",
                spawn_site: site!("deadlock_channels", "weft:spawn-bob"),
                blocked_on: BlockedOn {
                    kind: WaitKind::Recv,
                    site: Some(site!("deadlock_channels", "weft:bob-waits")),
                    object_created_at: Some(TO_BOB),
                },
            },
        ],
        deadlocks: &[Deadlock {
            tasks: &["alice", "bob"],
            objects: &[
                DeadlockObject {
                    kind: ObjectKind::Channel,
                    created_at: TO_ALICE,
                },
                DeadlockObject {
                    kind: ObjectKind::Channel,
                    created_at: TO_BOB,
                },
            ],
        }],
        potential_deadlocks: 0,
        lints: &[],
    }
};

const MUTEX_CONTENTION: Truth = Truth {
    sample: "mutex_contention",
    leaks: &[],
    deadlocks: &[],
    potential_deadlocks: 0,
    lints: &[ExpectedLint {
        lint: Lint::LockHeldLong,
        site: site!("mutex_contention", "weft:hot-lock"),
    }],
};

const LOCK_HELD_WHILE_BLOCKING: Truth = Truth {
    sample: "lock_held_while_blocking",
    leaks: &[],
    deadlocks: &[],
    potential_deadlocks: 0,
    lints: &[
        ExpectedLint {
            lint: Lint::LockHeldLong,
            site: site!("lock_held_while_blocking", "weft:cache-lock"),
        },
        ExpectedLint {
            lint: Lint::LockHeldWhileBlocking,
            site: site!("lock_held_while_blocking", "weft:recv-under-lock"),
        },
    ],
};

const BUSY_WAIT: Truth = Truth {
    sample: "busy_wait",
    leaks: &[],
    deadlocks: &[],
    potential_deadlocks: 0,
    lints: &[ExpectedLint {
        lint: Lint::BusyWait,
        site: site!("busy_wait", "weft:busy-poll"),
    }],
};

const SEND_ON_DISCONNECTED: Truth = Truth {
    sample: "send_on_disconnected",
    leaks: &[],
    deadlocks: &[],
    potential_deadlocks: 0,
    lints: &[ExpectedLint {
        lint: Lint::SendOnDisconnected,
        site: site!("send_on_disconnected", "weft:send-disconnected"),
    }],
};

/// The config watcher, spawned once and left waiting on a channel nobody sends on. Tokio tasks
/// are unnamed.
const TOKIO_LEAK_RECV: Truth = Truth {
    sample: "tokio_leak_recv",
    leaks: &[Leak {
        name: "",
        spawn_site: site!("tokio_leak_recv", "weft:spawn-watcher"),
        blocked_on: BlockedOn {
            kind: WaitKind::Recv,
            site: Some(site!("tokio_leak_recv", "weft:leak-recv")),
            object_created_at: Some(site!("tokio_leak_recv", "weft:reload-channel")),
        },
    }],
    deadlocks: &[],
    potential_deadlocks: 0,
    lints: &[],
};

/// The waiter, polled once, idle with no waker: nothing records where it awaits (the line is
/// marked `weft:lost-await` for readers), so the wait has no site.
const TOKIO_LOST_WAKER: Truth = Truth {
    sample: "tokio_lost_waker",
    leaks: &[Leak {
        name: "",
        spawn_site: site!("tokio_lost_waker", "weft:spawn-waiter"),
        blocked_on: BlockedOn {
            kind: WaitKind::Await,
            site: None,
            object_created_at: None,
        },
    }],
    deadlocks: &[],
    potential_deadlocks: 0,
    lints: &[],
};

const TOKIO_BLOCKING_IN_TASK: Truth = Truth {
    sample: "tokio_blocking_in_task",
    leaks: &[],
    deadlocks: &[],
    potential_deadlocks: 0,
    lints: &[ExpectedLint {
        lint: Lint::LongPoll,
        site: site!("tokio_blocking_in_task", "weft:blocking-call"),
    }],
};

/// Held across the await, with nobody waiting: neither held long with waiters nor held while
/// blocking (the thread parks because the runtime is idle, not in a wait of the program's).
const TOKIO_STD_MUTEX_ACROSS_AWAIT: Truth = Truth {
    sample: "tokio_std_mutex_across_await",
    leaks: &[],
    deadlocks: &[],
    potential_deadlocks: 0,
    lints: &[ExpectedLint {
        lint: Lint::LockHeldAcrossAwait,
        site: site!("tokio_std_mutex_across_await", "weft:lock-across-await"),
    }],
};

/// Holding a tokio mutex across an await is allowed; the contention it causes is not.
const TOKIO_MUTEX_CONTENTION: Truth = Truth {
    sample: "tokio_mutex_contention",
    leaks: &[],
    deadlocks: &[],
    potential_deadlocks: 0,
    lints: &[ExpectedLint {
        lint: Lint::LockHeldLong,
        site: site!("tokio_mutex_contention", "weft:shared-state"),
    }],
};
