//! The `ko-log` command (see the `ko_log_cli` library and docs/CLI.md).

fn main() -> std::process::ExitCode {
    ko_log_cli::main()
}
