//! The `khien` executable: parses the command line and runs it (see [`khien::cli`]).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Documents from shares and websites are parsed in confined child processes.
    khien::pdata::isolate::use_this_executable();
    // Windows, started from Explorer: scan at once (see `khien::cli::windows`).
    if khien::cli::windows::double_click_requested() {
        return khien::cli::windows::double_click();
    }
    let cli = match khien::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(khien::cli::EXIT_BAD_INPUT)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    khien::cli::run(cli)
}
