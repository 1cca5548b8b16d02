//! `khien waivers`: check a waivers file (which waivers apply at a date) and read a
//! saved result document with or without its waivers.

use std::io::Write as _;
use std::path::PathBuf;

use clap::Subcommand;
use jiff::Timestamp;

use super::{BadInput, Cli, OutputArgs, emit, load_policy};
use crate::findings::ResultDocument;
use crate::i18n::tr;
use crate::register::today_in_vietnam;
use crate::waiver;

#[derive(Subcommand, Debug)]
pub enum WaiversCommand {
    /// Validate a waivers file against the policy and list each waiver's state.
    Check {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Date at which waivers are judged (RFC 3339). Default: now.
        #[arg(long, value_name = "TIME")]
        at: Option<Timestamp>,
    },
    /// Show a saved result document (`--format json` output) with its waivers, or
    /// with `--without-waivers` as if none existed. `--waivers FILE` applies more.
    View {
        #[arg(value_name = "RESULT")]
        result: PathBuf,
        /// Turn every waived finding back into a failing one.
        #[arg(long)]
        without_waivers: bool,
        #[command(flatten)]
        out: OutputArgs,
    },
}

pub fn run(cli: &Cli, cmd: &WaiversCommand) -> Result<u8, BadInput> {
    let lang = cli.lang;
    match cmd {
        WaiversCommand::Check { file, at } => {
            let policy = load_policy(cli)?;
            let set = waiver::load_file(file, Some(&policy), lang)?;
            let at = at.unwrap_or_else(Timestamp::now);
            let day = today_in_vietnam(at);
            let mut out = anstream::stdout();
            for w in &set.waivers {
                let state = if w.in_force(day) {
                    tr(lang, "đang áp dụng", "in force")
                } else if day < w.approved_on {
                    tr(lang, "chưa đến ngày áp dụng", "not yet in force")
                } else {
                    tr(lang, "đã hết hạn", "expired")
                };
                let scope = [w.unit.as_deref(), w.target.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                let _ = writeln!(
                    out,
                    "{} {} {} — {state} ({} {})",
                    w.id,
                    w.rule,
                    scope,
                    tr(lang, "hết hạn", "expires"),
                    crate::register::format_date(w.expires)
                );
            }
            Ok(0)
        }
        WaiversCommand::View {
            result,
            without_waivers,
            out,
        } => {
            let text = std::fs::read_to_string(result)
                .map_err(|e| BadInput(format!("{}: {e}", result.display())))?;
            let doc: ResultDocument = serde_json::from_str(&text).map_err(|e| {
                BadInput(format!(
                    "{}:{}:{}: {} {e}",
                    result.display(),
                    e.line(),
                    e.column(),
                    tr(
                        lang,
                        "không phải tài liệu kết quả của khien (--format json):",
                        "not a khien result document (--format json):"
                    )
                ))
            })?;
            let doc = if *without_waivers {
                waiver::without_waivers(&doc)
            } else {
                doc
            };
            emit(lang, out, &doc)
        }
    }
}
