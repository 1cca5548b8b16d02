//! The `khien serve` command line: run the server, and manage the units' upload tokens
//! (`khien serve tokens issue|revoke|rotate|export`).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use super::config::{DEFAULT_FILE_NAME, ServeConfig};
use super::ledger::Ledger;
use crate::cli::{BadInput, Cli};
use crate::i18n::{Lang, tr};

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Server configuration (see docs/serve.md).
    #[arg(long, global = true, value_name = "FILE", default_value = DEFAULT_FILE_NAME)]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Option<ServeCommand>,
}

#[derive(Subcommand, Debug)]
pub enum ServeCommand {
    /// Upload tokens of the register's units: issue, revoke, rotate, export.
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// Print the argon2 hash of a password read from standard input, for
    /// `password_hash` of an [[account]] in khien-serve.toml.
    HashPassword,
}

#[derive(Subcommand, Debug)]
pub enum TokensCommand {
    /// Issue a token to every unit of the register that has none (or to --unit only);
    /// writes OUT/tokens.csv and OUT/send/UNIT.toml, the [send] section for each school.
    Issue {
        /// Only these units (codes from the register).
        #[arg(long, value_name = "CODE")]
        unit: Vec<String>,
        /// Issue one administrator token (uploads of any unit: the Department's
        /// `scan web` and `scan register` results) under this name instead.
        #[arg(long, value_name = "NAME", conflicts_with = "unit")]
        admin: Option<String>,
        /// Folder for the tokens (created; must not hold a tokens.csv already).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Revoke the active tokens of units (or one token by its fingerprint).
    Revoke {
        #[arg(long, value_name = "CODE", required_unless_present = "fingerprint")]
        unit: Vec<String>,
        /// A token's fingerprint, as `export` lists it.
        #[arg(long, value_name = "HEX")]
        fingerprint: Option<String>,
    },
    /// Revoke and issue anew, for units whose token leaked or was lost.
    Rotate {
        #[arg(long, value_name = "CODE", required = true)]
        unit: Vec<String>,
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// List every token (unit, fingerprint, issued, revoked; never the secret) as CSV.
    Export {
        /// Write to FILE instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

pub fn run(cli: &Cli, args: &ServeArgs) -> Result<u8, BadInput> {
    let lang = cli.lang;
    if let Some(ServeCommand::HashPassword) = &args.command {
        let mut password = String::new();
        std::io::stdin()
            .read_line(&mut password)
            .map_err(|e| BadInput::message(e.to_string()))?;
        let password = password.trim_end_matches(['\r', '\n']);
        if password.chars().count() < 12 {
            return Err(BadInput::message(
                tr(
                    lang,
                    "mật khẩu cần ít nhất 12 ký tự",
                    "the password needs at least 12 characters",
                )
                .into(),
            ));
        }
        println!(
            "{}",
            super::web::hash_password(password).map_err(BadInput::message)?
        );
        return Ok(0);
    }
    let cfg = ServeConfig::load(&args.config)?;
    match &args.command {
        None => {
            // The register is checked before the server starts: a broken one is
            // reported with its positions, not found out on the first upload.
            crate::register::load_file(&cfg.register)?;
            super::app::run(cfg).map_err(BadInput::message)?;
            Ok(0)
        }
        Some(ServeCommand::Tokens(cmd)) => tokens(lang, &cfg, cmd),
        Some(ServeCommand::HashPassword) => Ok(0),
    }
}

fn open_ledger(cfg: &ServeConfig) -> Result<Ledger, BadInput> {
    std::fs::create_dir_all(&cfg.data_dir)
        .map_err(|e| BadInput::message(format!("{}: {e}", cfg.data_dir.display())))?;
    let path = cfg.data_dir.join("serve.db");
    Ledger::open(&path).map_err(|e| BadInput::message(format!("{}: {e}", path.display())))
}

/// A unit code as a file name: letters, digits, `-`, `_` and `.` kept, others `_`.
fn file_stem(code: &str) -> String {
    code.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .trim_start_matches('.')
        .to_string()
}

/// The `[send]` section handed to a school, ready to paste into its khien.toml.
pub fn send_section(url: &str, unit_code: &str, unit_name: &str, token: &str) -> String {
    format!(
        "# Gửi kết quả rà soát về Sở GDĐT (khien serve) — đơn vị {unit_code} ({unit_name}).\n\
         # Chép mục này vào khien.toml của trường. Giữ kín mã token: ai có nó gửi được kết quả thay trường.\n\
         [send]\n\
         url = \"{url}\"\n\
         token = \"{token}\"\n"
    )
}

/// Writes freshly issued tokens: OUT/tokens.csv and OUT/send/UNIT.toml.
fn write_issued(
    out: &Path,
    url: &str,
    issued: &[(String, String, String)],
    lang: Lang,
) -> Result<(), BadInput> {
    let io =
        |p: &Path, e: &dyn std::fmt::Display| BadInput::message(format!("{}: {e}", p.display()));
    let send_dir = out.join("send");
    std::fs::create_dir_all(&send_dir).map_err(|e| io(&send_dir, &e))?;
    let csv_path = out.join("tokens.csv");
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["unit_code", "unit_name", "token", "url"])
        .map_err(|e| io(&csv_path, &e))?;
    for (code, name, token) in issued {
        w.write_record([code, name, token, &url.to_string()])
            .map_err(|e| io(&csv_path, &e))?;
        let p = send_dir.join(format!("{}.toml", file_stem(code)));
        crate::report::write_atomically(&p, send_section(url, code, name, token).as_bytes())
            .map_err(|e| io(&p, &e))?;
    }
    let bytes = w.into_inner().map_err(|e| io(&csv_path, &e))?;
    crate::report::write_atomically(&csv_path, &bytes).map_err(|e| io(&csv_path, &e))?;
    let _ = writeln!(
        anstream::stderr(),
        "{} {} → {} ({})",
        issued.len(),
        tr(lang, "token đã cấp", "tokens issued"),
        csv_path.display(),
        tr(
            lang,
            "mã chỉ hiện một lần; máy chủ chỉ giữ mã băm",
            "shown once only; the server keeps their hashes"
        ),
    );
    Ok(())
}

fn check_out(out: &Path, lang: Lang) -> Result<(), BadInput> {
    let csv = out.join("tokens.csv");
    if csv.exists() {
        return Err(BadInput::message(format!(
            "{}: {}",
            csv.display(),
            tr(
                lang,
                "đã có; hãy chọn một thư mục --out mới (không ghi đè token đã cấp)",
                "exists already; choose a new --out folder (issued tokens are never overwritten)"
            )
        )));
    }
    Ok(())
}

fn tokens(lang: Lang, cfg: &ServeConfig, cmd: &TokensCommand) -> Result<u8, BadInput> {
    let register = crate::register::load_file(&cfg.register)?;
    let mut ledger = open_ledger(cfg)?;
    let db = |e: rusqlite::Error| {
        BadInput::message(format!("{}: {e}", cfg.data_dir.join("serve.db").display()))
    };
    let units_of = |codes: &[String]| -> Result<Vec<(String, String)>, BadInput> {
        codes
            .iter()
            .map(|c| match register.unit(c) {
                Some(u) => Ok((u.code.clone(), u.name.clone())),
                None => Err(BadInput::message(format!(
                    "--unit {c}: {} {}",
                    tr(lang, "không có trong danh mục", "is not in the register"),
                    cfg.register.display()
                ))),
            })
            .collect()
    };
    match cmd {
        TokensCommand::Issue { unit, admin, out } => {
            check_out(out, lang)?;
            let mut issued = Vec::new();
            if let Some(name) = admin {
                let code = format!("admin:{name}");
                let token = ledger.issue(&code, name, true).map_err(BadInput::message)?;
                issued.push((code, name.clone(), token));
            } else {
                let active = ledger.active_units().map_err(db)?;
                let wanted = if unit.is_empty() {
                    register
                        .units
                        .iter()
                        .map(|u| (u.code.clone(), u.name.clone()))
                        .collect()
                } else {
                    units_of(unit)?
                };
                for (code, name) in wanted {
                    if active.contains(&code) {
                        continue;
                    }
                    let token = ledger
                        .issue(&code, &name, false)
                        .map_err(BadInput::message)?;
                    issued.push((code, name, token));
                }
            }
            write_issued(out, &cfg.public_url, &issued, lang)?;
            Ok(0)
        }
        TokensCommand::Revoke { unit, fingerprint } => {
            let mut n = 0;
            for (code, _) in units_of(unit)? {
                n += ledger.revoke_unit(&code).map_err(db)?;
            }
            if let Some(fp) = fingerprint {
                n += ledger.revoke_fingerprint(fp).map_err(db)?;
            }
            let _ = writeln!(
                anstream::stderr(),
                "{n} {}",
                tr(lang, "token đã thu hồi", "tokens revoked")
            );
            Ok(if n == 0 { 1 } else { 0 })
        }
        TokensCommand::Rotate { unit, out } => {
            check_out(out, lang)?;
            let mut issued = Vec::new();
            for (code, name) in units_of(unit)? {
                ledger.revoke_unit(&code).map_err(db)?;
                let token = ledger
                    .issue(&code, &name, false)
                    .map_err(BadInput::message)?;
                issued.push((code, name, token));
            }
            write_issued(out, &cfg.public_url, &issued, lang)?;
            Ok(0)
        }
        TokensCommand::Export { output } => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let mut rows = vec![
                [
                    "unit_code",
                    "unit_name",
                    "kind",
                    "fingerprint",
                    "issued_at",
                    "revoked_at",
                ]
                .map(String::from),
            ];
            for t in ledger.tokens().map_err(db)? {
                rows.push([
                    t.unit_code,
                    t.unit_name,
                    if t.admin { "admin" } else { "unit" }.into(),
                    t.fingerprint,
                    t.issued_at.to_string(),
                    t.revoked_at.map(|r| r.to_string()).unwrap_or_default(),
                ]);
            }
            for r in rows {
                w.write_record(&r)
                    .map_err(|e| BadInput::message(e.to_string()))?;
            }
            let bytes = w
                .into_inner()
                .map_err(|e| BadInput::message(e.to_string()))?;
            match output {
                Some(p) => crate::report::write_atomically(p, &bytes)
                    .map_err(|e| BadInput::message(format!("{}: {e}", p.display())))?,
                None => {
                    let _ = std::io::stdout().write_all(&bytes);
                }
            }
            Ok(0)
        }
    }
}
