fn main() -> std::process::ExitCode {
    // SAFETY: called once at start-up, before any thread or output exists.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    bcs::cli::main()
}
