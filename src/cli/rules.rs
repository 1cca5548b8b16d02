//! `khien rules`: list, show and check rules, so the Department can edit policies
//! with confidence.

use std::io::Write as _;
use std::path::PathBuf;

use clap::Subcommand;

use super::{BadInput, Cli, load_policy};
use crate::facts::{FactShape, TargetKind};
use crate::i18n::{Lang, tr};
use crate::policy;

#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// List the rules of the policy.
    List,
    /// Show one rule in full.
    Show {
        /// Rule code, e.g. HOST-AV-001.
        code: String,
    },
    /// List the facts rules can read, with their meaning.
    Facts {
        /// Target kind: host, web, mail or register.
        #[arg(long, value_enum, default_value = "host")]
        target: TargetKind,
    },
    /// Validate policy files or folders without scanning.
    Check {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Write the rule catalogue: OUT/rules.md (Vietnamese) and OUT/rules.en.md.
    Doc {
        /// Folder of worked examples, one CODE.json per rule (see fixtures/rules/README.md).
        #[arg(long, default_value = "fixtures/rules")]
        examples: PathBuf,
        /// Folder the two files are written to.
        #[arg(long, default_value = "docs")]
        out: PathBuf,
    },
}

pub fn run(cli: &Cli, cmd: &RulesCommand) -> Result<u8, BadInput> {
    let lang = cli.lang;
    let mut out = anstream::stdout();
    match cmd {
        RulesCommand::List => {
            let policy = load_policy(cli)?;
            let _ = writeln!(
                out,
                "{} {} — {}",
                policy.header.id,
                policy.header.version,
                policy.header.title.get(lang)
            );
            for r in &policy.rules {
                let _ = writeln!(
                    out,
                    "{:<14} {:<9} {:<13} {}",
                    r.code,
                    r.target.to_string(),
                    r.severity.label().get(lang),
                    r.title.get(lang)
                );
            }
        }
        RulesCommand::Show { code } => {
            let policy = load_policy(cli)?;
            let Some(r) = policy.rule(code) else {
                return Err(BadInput::message(format!(
                    "{} `{code}`; {}",
                    tr(lang, "không có quy tắc", "no rule"),
                    tr(
                        lang,
                        "xem danh sách bằng `khien rules list`",
                        "see `khien rules list`"
                    )
                )));
            };
            let _ = writeln!(out, "{} — {}", r.code, r.title.get(lang));
            let _ = writeln!(
                out,
                "{}: {}   {}: {}",
                tr(lang, "Đối tượng", "Target"),
                r.target,
                tr(lang, "Mức độ", "Severity"),
                r.severity.label().get(lang)
            );
            if let Some(req) = &r.requirement {
                let _ = writeln!(out, "{}: {req}", tr(lang, "Yêu cầu", "Requirement"));
            }
            let _ = writeln!(
                out,
                "{}: {}",
                tr(lang, "Khi không đạt", "When it fails"),
                r.problem.get(lang)
            );
            let _ = writeln!(
                out,
                "\n{}:\n  {}",
                tr(lang, "Lý do", "Rationale"),
                r.rationale.get(lang)
            );
            let _ = writeln!(out, "\n{}:", tr(lang, "Căn cứ", "Basis"));
            for b in &r.basis {
                let _ = writeln!(out, "  - {b}");
            }
            if let Some(a) = &r.applies_when {
                let _ = writeln!(
                    out,
                    "\n{}:\n  {}",
                    tr(lang, "Áp dụng khi", "Applies when"),
                    a.source
                );
                if let Some(na) = &r.not_applicable {
                    let _ = writeln!(
                        out,
                        "{}: {}",
                        tr(
                            lang,
                            "Nếu không (không áp dụng)",
                            "Otherwise (not applicable)"
                        ),
                        na.get(lang)
                    );
                }
            }
            let _ = writeln!(
                out,
                "\n{}:\n  {}",
                tr(lang, "Điều kiện đạt", "Passes when"),
                r.check.source
            );
            let _ = writeln!(
                out,
                "\n{}: {}",
                tr(lang, "Bằng chứng", "Evidence"),
                r.evidence.join(", ")
            );
            let _ = writeln!(out, "\n{}:", tr(lang, "Khắc phục", "Remediation"));
            for line in r.remediation.get(lang).lines() {
                let _ = writeln!(out, "  {line}");
            }
            let _ = writeln!(
                out,
                "\n{}: {}",
                tr(lang, "Định nghĩa tại", "Defined at"),
                r.defined_at
            );
        }
        RulesCommand::Facts { target } => {
            let schema = target.fact_schema();
            let facts = FactShape::new(&schema).describe(target.root_variable());
            let width = facts.iter().map(|(p, _)| p.len()).max().unwrap_or(0);
            for (path, description) in facts {
                let _ = writeln!(out, "{path:<width$}  {}", description.get(lang));
            }
        }
        RulesCommand::Doc { examples, out: dir } => {
            let policy = load_policy(cli)?;
            let examples = policy::examples::load_dir(examples).map_err(BadInput::message)?;
            for (file, doc_lang) in [("rules.md", Lang::Vi), ("rules.en.md", Lang::En)] {
                let path = dir.join(file);
                let text = policy::catalogue::render(&policy, &examples, doc_lang);
                std::fs::write(&path, text).map_err(|e| {
                    BadInput::message(format!(
                        "{}: {e}; {}",
                        path.display(),
                        tr(
                            lang,
                            "chọn thư mục ghi được bằng --out",
                            "choose a writable folder with --out"
                        )
                    ))
                })?;
                let _ = writeln!(out, "{} {}", tr(lang, "Đã ghi", "Wrote"), path.display());
            }
        }
        RulesCommand::Check { paths } => {
            let policy = policy::load_paths(paths)?;
            let _ = writeln!(
                out,
                "{} {} {} ({} {})",
                tr(lang, "Hợp lệ:", "Valid:"),
                policy.header.id,
                policy.header.version,
                policy.rules.len(),
                tr(lang, "quy tắc", "rules")
            );
        }
    }
    Ok(0)
}
