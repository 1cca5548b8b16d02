//! `khien waivers`: check a waivers file (which waivers apply at a date) and read a
//! saved result document with or without its waivers.

use std::io::Write as _;
use std::path::PathBuf;

use clap::Subcommand;
use jiff::Timestamp;

use super::{BadInput, Cli, EXIT_BAD_INPUT, OutputArgs, emit, load_policy, load_waivers};
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
        /// Also check that the units and register targets the waivers name exist.
        #[arg(long, value_name = "FILE")]
        register: Option<PathBuf>,
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
        WaiversCommand::Check { file, at, register } => {
            let policy = load_policy(cli)?;
            let set = waiver::load_file(file, Some(&policy))?;
            let register = match register {
                Some(path) => Some(crate::register::load_file(path)?),
                None => None,
            };
            let mut unmatched = 0;
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
                if let Some(reg) = &register {
                    for missing in names_missing_from(w, reg) {
                        unmatched += 1;
                        let _ = writeln!(
                            out,
                            "  {} `{missing}` {}",
                            tr(lang, "cảnh báo:", "warning:"),
                            tr(
                                lang,
                                "không có trong sổ đăng ký: miễn trừ này sẽ không khớp phát hiện nào",
                                "is not in the register: this waiver will match no finding"
                            )
                        );
                    }
                }
            }
            Ok(if unmatched > 0 { EXIT_BAD_INPUT } else { 0 })
        }
        WaiversCommand::View {
            result,
            without_waivers,
            out,
        } => {
            // The same bound as every result document the report reads.
            let text = crate::io::read_bounded_text(result, crate::report::input::MAX_FILE_BYTES)
                .map_err(|e| BadInput::message(format!("{}: {e}", result.display())))?;
            let doc: ResultDocument = serde_json::from_str(&text).map_err(|e| {
                BadInput::message(format!(
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
            let mut doc = if *without_waivers {
                waiver::without_waivers(&doc)
            } else {
                doc
            };
            // Waivers given with --waivers apply as of the result's evaluation.
            if let Some(set) = load_waivers(out, None)? {
                let at = doc.evaluated_at;
                set.apply(&mut doc, at);
            }
            emit(lang, out, doc)
        }
    }
}

/// The unit and register target a waiver names that the register lacks. Targets of
/// other kinds (host names, site URLs) are not in the register and are not checked.
fn names_missing_from(w: &waiver::Waiver, reg: &crate::register::Register) -> Vec<String> {
    let mut missing = Vec::new();
    if let Some(unit) = &w.unit
        && reg.unit(unit).is_none()
    {
        missing.push(unit.clone());
    }
    if let Some(target) = &w.target {
        let known = match (target.strip_prefix("unit:"), target.strip_prefix("system:")) {
            (Some(code), _) => reg.unit(code).is_some(),
            (_, Some(id)) => reg.systems.iter().any(|s| s.id == id),
            _ => true,
        };
        if !known {
            missing.push(target.clone());
        }
    }
    missing
}
