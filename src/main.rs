//! `weft`: record a Rust program's threads, channels and locks, then inspect, check or export
//! the trace. The commands live in [`cli`]; this file only hands over the exit status.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    pin_mmap_threshold();
    cli::main()
}

/// Serves big allocations from their own mappings, whatever the program did before.
///
/// glibc raises its mmap threshold each time a mapped block is freed, up to 32 MiB, so after a
/// few of the columns a load grows by doubling are freed, later big columns come from the main
/// heap, where the gaps their predecessors left stay resident. Pinned at 128 KiB, every big
/// column is mapped and unmapped on its own: peak RSS after loading 10 M events fell from 43.0
/// to 39.9 B/event in one run, at the same speed (`weft bench`).
fn pin_mmap_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before any other thread
    // exists, and an unaccepted value is refused (returns 0), which leaves the default.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}
