//! The static musl build's allocator: a bump arena in front of musl's `malloc`.
//!
//! awsenv's hot paths (the prompt hook, a cache-hit `assume`) live a millisecond and
//! allocate a few hundred kilobytes, mostly clap's command tree. musl's allocator maps and
//! unmaps a page for nearly every size it meets, which cost a fifth of a cache-hit `assume`
//! (benches/builds.sh). The arena hands out memory from a zero-initialised static block (so
//! the kernel maps it on first touch, with no system call), takes back only the most recent
//! allocation, and passes everything once it is full to the system allocator. A long-running
//! `exec --server` thus keeps at most the arena's size in memory it cannot reuse.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A bump arena of `N` bytes in front of the system allocator.
pub struct Arena<const N: usize> {
    block: UnsafeCell<Block<N>>,
    /// Offset of the first free byte.
    next: AtomicUsize,
}

#[repr(C, align(4096))]
struct Block<const N: usize>([u8; N]);

// SAFETY: the block is only reached through offsets claimed with compare-and-swap on `next`,
// so no two callers are ever handed overlapping bytes.
unsafe impl<const N: usize> Sync for Arena<N> {}

impl<const N: usize> Arena<N> {
    pub const fn new() -> Self {
        Self {
            block: UnsafeCell::new(Block([0; N])),
            next: AtomicUsize::new(0),
        }
    }

    fn base(&self) -> usize {
        self.block.get() as usize
    }

    fn owns(&self, ptr: *mut u8) -> bool {
        (self.base()..self.base() + N).contains(&(ptr as usize))
    }

    /// Claim `layout` from the arena, or `None` when it does not fit.
    fn claim(&self, layout: Layout) -> Option<*mut u8> {
        let base = self.base();
        let mut next = self.next.load(Ordering::Relaxed);
        loop {
            let start = (base + next).checked_next_multiple_of(layout.align())? - base;
            let end = start.checked_add(layout.size()).filter(|&end| end <= N)?;
            match self
                .next
                .compare_exchange_weak(next, end, Ordering::Relaxed, Ordering::Relaxed)
            {
                // SAFETY: `start` is within the block, which `end <= N` bounds.
                Ok(_) => return Some(unsafe { self.block.get().cast::<u8>().add(start) }),
                Err(seen) => next = seen,
            }
        }
    }
}

impl<const N: usize> Default for Arena<N> {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: every pointer handed out is either a fresh, aligned, unshared range of the block
// or the system allocator's own, and each is given back to whichever of the two made it.
unsafe impl<const N: usize> GlobalAlloc for Arena<N> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.claim(layout) {
            Some(ptr) => ptr,
            // SAFETY: the caller's layout has a non-zero size, as `GlobalAlloc` requires.
            None => unsafe { System.alloc(layout) },
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !self.owns(ptr) {
            // SAFETY: not ours, so the system allocator made it with this layout.
            return unsafe { System.dealloc(ptr, layout) };
        }
        // The most recent allocation goes back; any other stays claimed.
        let start = ptr as usize - self.base();
        let _ = self.next.compare_exchange(
            start + layout.size(),
            start,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !self.owns(ptr) {
            // SAFETY: the system allocator made it with this layout.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        let start = ptr as usize - self.base();
        // The most recent allocation grows or shrinks in place while it fits.
        if start + new_size <= N
            && self
                .next
                .compare_exchange(
                    start + layout.size(),
                    start + new_size,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
        {
            return ptr;
        }
        if new_size <= layout.size() {
            return ptr;
        }
        // SAFETY: `new_size` is non-zero and, rounded to the alignment, fits `isize`, as the
        // caller of `realloc` guarantees.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: as for `alloc`.
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both ranges are at least `layout.size()` long and do not overlap.
            unsafe { std::ptr::copy_nonoverlapping(ptr, new, layout.size()) };
            // SAFETY: `ptr` is ours, with `layout`.
            unsafe { self.dealloc(ptr, layout) };
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn hands_out_aligned_disjoint_memory_then_falls_back() {
        let arena: Box<Arena<4096>> = Box::default();
        unsafe {
            let a = arena.alloc(layout(3, 1));
            let b = arena.alloc(layout(16, 16));
            assert!(arena.owns(a) && arena.owns(b));
            assert_eq!(b as usize % 16, 0);
            assert!(b as usize >= a as usize + 3);
            // Too big for what is left: the system allocator's, and given back to it.
            let big = arena.alloc(layout(8192, 8));
            assert!(!big.is_null() && !arena.owns(big));
            big.write_bytes(0xAB, 8192);
            let bigger = arena.realloc(big, layout(8192, 8), 16384);
            assert_eq!(*bigger.add(8191), 0xAB);
            arena.dealloc(bigger, layout(16384, 8));
        }
    }

    #[test]
    fn the_latest_allocation_is_reused_grown_and_shrunk_in_place() {
        let arena: Box<Arena<4096>> = Box::default();
        unsafe {
            let a = arena.alloc(layout(100, 8));
            a.write_bytes(7, 100);
            let grown = arena.realloc(a, layout(100, 8), 1000);
            assert_eq!(grown, a);
            let b = arena.alloc(layout(10, 8));
            // `a` is no longer the latest: growing it moves it, its bytes with it.
            let moved = arena.realloc(grown, layout(1000, 8), 2000);
            assert_ne!(moved, a);
            assert_eq!(*moved.add(99), 7);
            // Shrinking in the middle keeps the pointer.
            assert_eq!(arena.realloc(b, layout(10, 8), 5), b);
            let top = arena.next.load(Ordering::Relaxed);
            let c = arena.alloc(layout(64, 8));
            arena.dealloc(c, layout(64, 8));
            assert_eq!(arena.next.load(Ordering::Relaxed), top);
        }
    }

    #[test]
    fn many_threads_never_share_a_byte() {
        let arena: &'static Arena<65536> = Box::leak(Box::default());
        let handles: Vec<_> = (0..8u8)
            .map(|n| {
                std::thread::spawn(move || unsafe {
                    let ptrs: Vec<*mut u8> = (0..200)
                        .map(|_| {
                            let p = arena.alloc(layout(24, 8));
                            p.write_bytes(n, 24);
                            p
                        })
                        .collect();
                    ptrs.iter()
                        .all(|p| std::slice::from_raw_parts(*p, 24).iter().all(|b| *b == n))
                })
            })
            .collect();
        assert!(handles.into_iter().all(|h| h.join().unwrap()));
    }
}
