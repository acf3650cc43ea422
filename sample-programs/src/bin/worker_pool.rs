//! # Worker pool
//!
//! The pattern: a fixed number of workers take jobs from one bounded channel and send their
//! results to a results channel drained by a collector. Shutdown is graceful: the producer closes
//! the job channel (drops its sender) once every job is queued, each worker sees the
//! disconnection after the queue drains and returns, `main` joins the workers, and the results
//! channel closes when the last worker drops its sender, which ends the collector.
//!
//! What the viewer should show: `worker-0` … `worker-N` alternating between running (the CPU part
//! of a job) and sleeping (its I/O), with short `recv` waits on the job channel; `main` blocked on
//! `send` whenever the job queue is full (the bounded queue throttles the producer); the
//! `collector` receiving every result. Every task exits: no leaks, no deadlocks, no lints.
//! With `WORKERS=2` against `WORKERS=8` the I/O-bound jobs finish about four times sooner, and
//! `main` spends far less of the run blocked on `send`.
//!
//! Usage: `worker_pool [--workers N] [--jobs M]`, or the environment variables `WORKERS` and
//! `JOBS` (arguments win; defaults: 4 workers, 64 jobs).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use weft_recorder::{channel, thread};
use weft_samples::work::{digest, spin_for};

const DEFAULT_WORKERS: usize = 4;
const DEFAULT_JOBS: usize = 64;
const MAX_WORKERS: usize = 64;
const MAX_JOBS: usize = 10_000;

/// How large a pool to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PoolConfig {
    workers: usize,
    jobs: usize,
}

impl PoolConfig {
    /// Reads `--workers`/`--jobs` from `args`, falling back to `WORKERS`/`JOBS` from `env`.
    fn from_args_and_env(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<PoolConfig, String> {
        let mut workers = env("WORKERS");
        let mut jobs = env("JOBS");
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let slot = match arg.as_str() {
                "--workers" => &mut workers,
                "--jobs" => &mut jobs,
                other => return Err(format!("unknown argument `{other}`")),
            };
            *slot = Some(
                args.next()
                    .ok_or_else(|| format!("`{arg}` needs a value"))?,
            );
        }
        Ok(PoolConfig {
            workers: parse_count("workers", workers, DEFAULT_WORKERS, MAX_WORKERS)?,
            jobs: parse_count("jobs", jobs, DEFAULT_JOBS, MAX_JOBS)?,
        })
    }
}

fn parse_count(
    what: &str,
    value: Option<String>,
    default: usize,
    max: usize,
) -> Result<usize, String> {
    let Some(text) = value else {
        return Ok(default);
    };
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!(
            "{what} must be a whole number from 1 to {max}, got `{text}`"
        )),
    }
}

/// One unit of work.
struct Job {
    id: u64,
}

/// What a worker produced for a job.
struct JobResult {
    digest: u64,
}

/// A job: a little computation (running) and an I/O call (a sleep, recorded as blocked).
fn run(job: Job) -> JobResult {
    spin_for(Duration::from_micros(300));
    thread::sleep(Duration::from_millis(1));
    JobResult {
        digest: digest(job.id),
    }
}

fn main() -> ExitCode {
    let _guard = weft_recorder::init();
    let config = match PoolConfig::from_args_and_env(std::env::args().skip(1), |key| {
        std::env::var(key).ok()
    }) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("worker_pool: {message}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();

    let (job_tx, job_rx) = channel::bounded::<Job>(config.workers);
    let (result_tx, result_rx) = channel::unbounded::<JobResult>();

    let collector = thread::Builder::new()
        .name("collector".into())
        .spawn(move || {
            let mut received = 0usize;
            let mut checksum = 0u64;
            while let Ok(result) = result_rx.recv() {
                received += 1;
                checksum = checksum.wrapping_add(result.digest);
            }
            (received, checksum)
        })
        .expect("spawn the collector");

    let workers: Vec<_> = (0..config.workers)
        .map(|index| {
            let jobs = job_rx.clone();
            let results = result_tx.clone();
            thread::Builder::new()
                .name(format!("worker-{index}"))
                .spawn(move || {
                    let mut handled = 0usize;
                    while let Ok(job) = jobs.recv() {
                        // The collector lives until every worker has dropped its sender.
                        let _ = results.send(run(job));
                        handled += 1;
                    }
                    handled
                })
                .expect("spawn a worker")
        })
        .collect();
    // Only the workers keep these ends: the channels close when the workers are done with them.
    drop(job_rx);
    drop(result_tx);

    for id in 0..config.jobs as u64 {
        // Blocks while the queue is full: the pool sets the pace.
        if job_tx.send(Job { id }).is_err() {
            break;
        }
    }
    drop(job_tx); // Close the queue: the workers drain it and return.

    let busiest = workers
        .into_iter()
        .map(|worker| worker.join().expect("a worker panicked"))
        .max()
        .unwrap_or(0);
    let (received, checksum) = collector.join().expect("the collector panicked");
    println!(
        "worker_pool: {} workers ran {} of {} jobs in {} ms (busiest worker: {} jobs, checksum {:016x})",
        config.workers,
        received,
        config.jobs,
        started.elapsed().as_millis(),
        busiest,
        checksum
    );
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(args: &[&str], env: &[(&str, &str)]) -> Result<PoolConfig, String> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        PoolConfig::from_args_and_env(args.iter().map(|a| a.to_string()), |key| {
            env.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn defaults_then_environment_then_arguments() {
        assert_eq!(
            config(&[], &[]),
            Ok(PoolConfig {
                workers: DEFAULT_WORKERS,
                jobs: DEFAULT_JOBS
            })
        );
        assert_eq!(
            config(&[], &[("WORKERS", "2"), ("JOBS", "10")]),
            Ok(PoolConfig {
                workers: 2,
                jobs: 10
            })
        );
        assert_eq!(
            config(&["--workers", "8"], &[("WORKERS", "2")]),
            Ok(PoolConfig {
                workers: 8,
                jobs: DEFAULT_JOBS
            })
        );
    }

    #[test]
    fn bad_values_are_refused_with_a_message() {
        assert!(config(&["--workers", "0"], &[])
            .unwrap_err()
            .contains("workers must be"));
        assert!(config(&[], &[("JOBS", "many")])
            .unwrap_err()
            .contains("`many`"));
        assert!(config(&["--workers"], &[])
            .unwrap_err()
            .contains("needs a value"));
        assert!(config(&["--threads", "3"], &[])
            .unwrap_err()
            .contains("unknown argument"));
    }
}
