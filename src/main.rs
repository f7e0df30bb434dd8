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
    bcs::cli::main()
}
