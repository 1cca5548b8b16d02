//! `khien scan register FILE`: checks the Department's register of units and
//! information systems against the register rules, as of `--at` (default: now).

use std::path::PathBuf;

use clap::Args;
use jiff::Timestamp;

use super::{BadInput, Cli, OutputArgs, emit, load_config, load_policy, load_waivers};
use crate::engine::Engine;
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
    let docs = register::facts::fact_documents(&register, at);
    let waivers = load_waivers(&args.out, Some(&policy))?;
    let mut result = Engine::new(&policy, &config)
        .with_waivers(waivers.as_ref())
        .evaluate(&docs, Some(at));
    // Each target names its own unit; the document's unit is the one running khien.
    result.unit = config.unit.clone();
    emit(cli.lang, &args.out, result)
}
