// mimalloc: the engine allocates many small strings and columns; glibc's
// malloc was a quarter of a terminal query's time (perf).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // SAFETY: called once at start-up, before any thread or output exists.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // BCS_NO_HUGE_PAGES=1: no transparent huge pages for this process.
    // mimalloc asks for them (MADV_HUGEPAGE) on its arenas; on the 2-core VM
    // of the benchmarks, whose host reclaims free memory, a fresh 2 MiB page
    // costs far more to fault in than the 4 KiB pages it replaces: the
    // national run spent 3,0-3,3 s of system time with them, 0,85-0,9 s
    // without (5 alternating runs each). Measured on that machine only,
    // hence a switch (benches/run.sh sets it), not the default.
    // SAFETY: prctl with this option only sets a flag of the process.
    #[cfg(target_os = "linux")]
    if std::env::var_os("BCS_NO_HUGE_PAGES").is_some_and(|v| v == "1") {
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    }
    bcs::cli::main()
}
