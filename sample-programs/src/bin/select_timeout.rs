//! # Select with a timeout
//!
//! The pattern: a `monitor` waits on two sensor channels at once with `select!`, taking whichever
//! reading comes first, and a 10 ms timeout arm so that silence is noticed (and could raise an
//! alarm) instead of waiting forever. The sensors stay connected until `main` shuts them down, so
//! the monitor never selects on a closed channel (a disconnected channel is always ready, which
//! would turn the loop into a spin).
//!
//! What the viewer should show: `sensor-a` sending every 3 ms and `sensor-b` every 5 ms; the
//! `monitor`'s select waits each ended by one of them; then a stretch of about 35 ms when both are
//! quiet, in which the monitor's selects end by timeout; then `sensor-b` resumes. After the
//! fifteenth reading the monitor returns and `main` closes the shutdown channel, ending the
//! sensors' `recv`. No leaks, no deadlocks, no lints.

use std::time::{Duration, Instant};

use weft_recorder::channel::select;
use weft_recorder::channel::{self, Receiver, Sender};
use weft_recorder::thread::{self, JoinHandle};

const QUIET_AFTER: Duration = Duration::from_millis(10);

/// A sensor that sends `readings` values spaced by `every`, pausing `stall` before the reading
/// numbered `stall_before`, then stays connected until `shutdown` closes.
fn spawn_sensor(
    name: &str,
    readings: u32,
    every: Duration,
    stall: (u32, Duration),
    out: Sender<u32>,
    shutdown: Receiver<()>,
) -> JoinHandle<()> {
    thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let (stall_before, stall_for) = stall;
            for reading in 0..readings {
                if reading == stall_before {
                    thread::sleep(stall_for);
                }
                thread::sleep(every);
                if out.send(reading).is_err() {
                    return;
                }
            }
            let _ = shutdown.recv(); // Stay connected until shutdown.
        })
        .expect("spawn a sensor")
}

fn main() {
    let _guard = weft_recorder::init();
    let started = Instant::now();

    let (shutdown_tx, shutdown_rx) = channel::bounded::<()>(0);
    let (a_tx, a_rx) = channel::unbounded::<u32>();
    let (b_tx, b_rx) = channel::unbounded::<u32>();
    let sensor_a = spawn_sensor(
        "sensor-a",
        8,
        Duration::from_millis(3),
        (u32::MAX, Duration::ZERO),
        a_tx,
        shutdown_rx.clone(),
    );
    let sensor_b = spawn_sensor(
        "sensor-b",
        7,
        Duration::from_millis(5),
        (4, Duration::from_millis(40)),
        b_tx,
        shutdown_rx,
    );
    let expected = 8 + 7;

    let monitor = thread::Builder::new()
        .name("monitor".into())
        .spawn(move || {
            let (mut from_a, mut from_b, mut quiet_spells) = (0u32, 0u32, 0u32);
            while from_a + from_b < expected {
                select! {
                    recv(a_rx) -> reading => match reading {
                        Ok(_) => from_a += 1,
                        Err(_) => break,
                    },
                    recv(b_rx) -> reading => match reading {
                        Ok(_) => from_b += 1,
                        Err(_) => break,
                    },
                    default(QUIET_AFTER) => quiet_spells += 1,
                }
            }
            (from_a, from_b, quiet_spells)
        })
        .expect("spawn the monitor");

    let (from_a, from_b, quiet_spells) = monitor.join().expect("the monitor panicked");
    drop(shutdown_tx); // The sensors may go now.
    sensor_a.join().expect("sensor-a panicked");
    sensor_b.join().expect("sensor-b panicked");
    println!(
        "select_timeout: monitor took {from_a} readings from sensor-a and {from_b} from sensor-b, {quiet_spells} quiet spells of {} ms, in {} ms",
        QUIET_AFTER.as_millis(),
        started.elapsed().as_millis()
    );
}
