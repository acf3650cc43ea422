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
/// heap, where the gaps their predecessors left stay resident. Pinned, every column beyond the
/// threshold is mapped and unmapped on its own, and grows by remapping: peak RSS after loading
/// 10 M events fell from 43.0 to 39.9 B/event at 128 KiB, and by another 0.7 B/event at
/// 32 KiB (the hundreds of lanes' early doublings no longer leave holes in the heap), each at
/// the same speed side by side (`weft bench`, farm-bench). 16 KiB saved 0.3 B/event more but
/// cost 3 % in speed.
fn pin_mmap_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before any other thread
    // exists, and an unaccepted value is refused (returns 0), which leaves the default.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 * 1024);
    }
}
