//! The real `ocindex` command, compiled inside the tests package: Cargo tells integration
//! tests where their own package's binaries are (`CARGO_BIN_EXE_*`), and some tests run the
//! server as a process of its own, to send it signals and read its logs.
#[path = "../../../api/src/main.rs"]
mod command;

fn main() -> std::process::ExitCode {
    command::main()
}
