//! Stand-ins for real work, so that timelines have stretches of readable length.
//!
//! Samples simulate I/O with the recorder's `thread::sleep` (recorded as a blocked stretch) and
//! computation with [`spin_for`] (recorded as nothing: the task is simply running).

use std::time::{Duration, Instant};

/// Keeps the CPU busy for `duration`, the way parsing or hashing would: the task stays running.
pub fn spin_for(duration: Duration) {
    let start = Instant::now();
    while start.elapsed() < duration {
        std::hint::spin_loop();
    }
}

/// A cheap, deterministic stand-in for a result computed from `seed` (FNV-1a over its bytes), so
/// samples have something to send around and check.
pub fn digest(seed: u64) -> u64 {
    seed.to_le_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, &byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spin_for_takes_at_least_the_duration() {
        let start = Instant::now();
        spin_for(Duration::from_millis(2));
        assert!(start.elapsed() >= Duration::from_millis(2));
    }

    #[test]
    fn digest_is_deterministic_and_spreads() {
        assert_eq!(digest(7), digest(7));
        assert_ne!(digest(7), digest(8));
    }
}
