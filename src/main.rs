//! The `khien` executable: parses the command line and runs it (see [`khien::cli`]).

use std::process::ExitCode;

fn main() -> ExitCode {
    // Documents from shares and websites are parsed in confined child processes.
    khien::pdata::isolate::use_this_executable();
    // Windows, started from Explorer: scan at once (see `khien::cli::windows`).
    if khien::cli::windows::double_click_requested() {
        return khien::cli::windows::double_click();
    }
    // Help and argument errors in the user's language (see `khien::cli::args`).
    let cli = match khien::cli::args::parse(std::env::args_os().collect()) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    khien::cli::run(cli)
}
