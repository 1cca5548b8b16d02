//! khien's integration tests, in one binary: each module tests one area end to end
//! through the `khien` executable or the library, with real servers on loopback
//! where the area talks to the network. `support` holds what they share.

mod support;

mod cli_help;
mod cli_host;
mod diagnostics;
mod engine_fixtures;
mod engine_output;
mod host_rules;
mod host_text;
// FIFOs, /dev/full and getrusage: Unix only (the Windows target checks the rest).
#[cfg(unix)]
mod hostile_documents;
mod hostile_ingest;
#[cfg(unix)]
mod hostile_inputs;
#[cfg(unix)]
mod hostile_output;
mod hostile_paths;
mod hostile_policy;
mod mail_scan;
mod output_snapshots;
mod pdata_corpus;
mod pdata_crawl;
mod pdata_host;
mod policy_errors;
mod register_rules;
mod register_scan;
mod register_waivers;
mod report_chromium;
mod report_cli;
mod report_history;
mod report_province;
mod rules_cases;
mod rules_doc;
mod rules_facts;
mod rules_register_coverage;
mod rules_registry;
mod schemas;
#[cfg(target_os = "linux")]
mod serve_chromium;
mod serve_postgres;
mod serve_schedule;
mod serve_upload;
mod serve_web;
mod web_cli;
mod web_gaps;
mod web_hostile;
mod web_nginx;
mod web_openssl;
mod web_pdata;
mod web_register;
mod web_scale;
mod web_tls;
mod windows_fixtures;
mod windows_wine;
