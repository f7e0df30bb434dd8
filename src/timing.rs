//! Stage durations on stderr when `BCS_TIMINGS` is set: the profile the
//! benchmark harness and the closing notes quote.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("BCS_TIMINGS").is_some())
}

/// Prints its duration when dropped.
pub struct Stage {
    name: &'static str,
    start: Instant,
}

pub fn stage(name: &'static str) -> Stage {
    Stage {
        name,
        start: Instant::now(),
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        if enabled() {
            eprintln!(
                "[durée] {:<28} {:>8.1} ms",
                self.name,
                self.start.elapsed().as_secs_f64() * 1000.0
            );
        }
    }
}
