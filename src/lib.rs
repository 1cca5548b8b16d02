//! khien ("khiên", a shield): an information-security compliance scanner for the
//! schools of Sở GDĐT Lâm Đồng.
//!
//! The crate follows the data: a [`policy`] (TOML rules with CEL conditions) is loaded
//! and checked; [`collect`]ors gather [`facts`] about a target; [`eval`] evaluates
//! the rules over the facts into [`findings`]; [`report`] renders them for people.
//! [`config`] is the school's local configuration and [`cli`] the command line.
//! [`register`] is the Department's register of units and information systems.
//! [`serve`] is the Department's collection server and [`send`] its client.

pub mod cli;
pub mod collect;
pub mod config;
pub mod eval;
pub mod facts;
pub mod findings;
pub mod history;
pub mod i18n;
pub mod pdata;
pub mod policy;
pub mod register;
pub mod report;
pub mod send;
pub mod serve;
pub mod waiver;
