//! Stage durations on stderr when `BCS_TIMINGS` is set: the profile the
//! benchmark harness and the closing notes quote.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("BCS_TIMINGS").is_some())
}

/// Prints its duration when dropped, with the CPU time the whole process
/// spent meanwhile (all threads): a stage whose CPU time is close to its
/// duration ran on one core; and the peak resident memory at its end.
pub struct Stage {
    name: &'static str,
    start: Instant,
    cpu: Option<(f64, f64, f64)>,
}

pub fn stage(name: &'static str) -> Stage {
    Stage {
        name,
        start: Instant::now(),
        cpu: if enabled() {
            process_cpu_seconds()
        } else {
            None
        },
    }
}

/// User and system time of the process so far, all threads, and its peak
/// resident memory (MiB).
#[cfg(unix)]
fn process_cpu_seconds() -> Option<(f64, f64, f64)> {
    // SAFETY: getrusage only writes into the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return None;
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Some((
        secs(usage.ru_utime),
        secs(usage.ru_stime),
        peak_memory_mib().unwrap_or(0.0),
    ))
}

/// The process's own peak resident memory (VmHWM). Not getrusage's
/// ru_maxrss, which starts from the parent's peak when the process was
/// started by a large one (the benchmark harness, in Python).
fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

#[cfg(not(unix))]
fn process_cpu_seconds() -> Option<(f64, f64, f64)> {
    None
}

impl Drop for Stage {
    fn drop(&mut self) {
        if enabled() {
            let cpu = match (self.cpu, process_cpu_seconds()) {
                (Some(start), Some(end)) => format!(
                    "   (CPU {:>7.1} ms, dont système {:>7.1} ms ; mémoire max {:>5.0} Mio)",
                    (end.0 + end.1 - start.0 - start.1) * 1000.0,
                    (end.1 - start.1) * 1000.0,
                    end.2
                ),
                _ => String::new(),
            };
            eprintln!(
                "[durée] {:<28} {:>8.1} ms{cpu}",
                self.name,
                self.start.elapsed().as_secs_f64() * 1000.0
            );
        }
    }
}
