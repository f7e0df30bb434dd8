fn main() -> std::process::ExitCode {
    bcs::cli::main()
}
