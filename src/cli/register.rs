//! `khien scan register FILE`: checks the Department's register of units and
//! information systems against the register rules, as of `--at` (default: now).

use std::path::PathBuf;

use clap::Args;
use jiff::Timestamp;

use super::{BadInput, Cli, EXIT_FAILING, OutputArgs, load_config, load_policy, load_waivers};
use crate::engine::{Engine, ResultWriter};
use crate::register;

#[derive(Args, Debug)]
pub struct RegisterArgs {
    /// The register (TOML; see docs/register.md).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Evaluation time (RFC 3339, e.g. 2026-11-23T08:00:00+07:00); deadlines, ages and
    /// the expiry of attestations and waivers are judged at it. Default: now.
    #[arg(long, value_name = "TIME")]
    pub at: Option<Timestamp>,
    /// Local configuration for parameter overrides.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub out: OutputArgs,
}

pub fn scan(cli: &Cli, args: &RegisterArgs) -> Result<u8, BadInput> {
    let policy = load_policy(cli)?;
    let config = load_config(args.config.as_deref(), &policy)?;
    // Nothing is evaluated from a register that does not load.
    let register = register::load_file(&args.file)?;
    let at = args.at.unwrap_or_else(Timestamp::now);
    let waivers = load_waivers(&args.out, Some(&policy))?;
    let engine = Engine::new(&policy, &config).with_waivers(waivers.as_ref());
    let mut header = engine.header(at);
    // Each target names its own unit; the document's unit is the one running khien.
    header.unit = config.unit.clone();
    // Streamed: each target's facts are made, evaluated and written before the next
    // (a 16 MB register of 60,000 units needed 6 GB when the document was whole).
    let mut writer = ResultWriter::create(
        args.out.output.as_deref(),
        args.out.format,
        cli.lang,
        header,
        args.out.fail_on,
    )?;
    for doc in register::facts::fact_documents_iter(&register, at) {
        writer.push(engine.evaluate_one(&doc, Some(at)))?;
    }
    let outcome = writer.finish()?;
    Ok(if outcome.failing { EXIT_FAILING } else { 0 })
}
