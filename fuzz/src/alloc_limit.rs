//! A per-allocation limit that holds in every build of the targets.
//!
//! libFuzzer's `-malloc_limit_mb` needs a sanitizer's malloc hooks, and the fast default build
//! (scripts/fuzz.sh, `-s none`) has none. Inputs are at most 64 KiB, so no single allocation has
//! a reason to exceed [`LIMIT`]: one that does is an amplification bug, reported like a crash
//! (the process aborts, libFuzzer saves the input).

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;

/// The largest single allocation a fuzz input may cause.
pub const LIMIT: usize = 128 << 20;

struct Limited;

#[cold]
fn refuse(size: usize) -> ! {
    // No allocation from here on: format the size into a stack buffer.
    let mut digits = [0u8; 20];
    let mut n = size;
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut err = std::io::stderr();
    let _ = err.write_all(b"==weft-fuzz== allocation of ");
    let _ = err.write_all(&digits[i..]);
    let _ = err.write_all(b" bytes exceeds the 128 MiB per-allocation limit\n");
    std::process::abort();
}

// SAFETY: every call is passed to the system allocator unchanged; oversized requests abort
// before reaching it.
unsafe impl GlobalAlloc for Limited {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > LIMIT {
            refuse(layout.size());
        }
        // SAFETY: the caller upholds `alloc`'s contract, which is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() > LIMIT {
            refuse(layout.size());
        }
        // SAFETY: as `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > LIMIT {
            refuse(new_size);
        }
        // SAFETY: as `alloc`; `ptr` and `layout` come from this allocator, i.e. from `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Limited = Limited;
