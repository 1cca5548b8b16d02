//! khien ("khiên", a shield): an information-security compliance scanner for the
//! schools of Sở GDĐT Lâm Đồng.
//!
//! The crate follows the data: a [`policy`] (TOML rules with CEL conditions) is loaded
//! and checked; [`collect`]ors gather [`facts`] about a target within the limits of
//! the [`settings`]; the [`engine`] evaluates the rules over the facts ([`eval`]) into
//! a result document of [`findings`] and writes it to an [`output`]; [`report`]
//! renders results for people; [`history`] keeps them over time.
//! [`config`] is the school's local configuration and [`cli`] the command line, a
//! thin layer over the rest. [`register`] is the Department's register of units and
//! information systems, [`waiver`] its accepted exceptions.
//! [`serve`] is the Department's collection server and [`send`] its client.
//! Every file khien reads from a person (policy, register, waivers, configurations)
//! is loaded with the [`spanned_toml`] kit into [`diagnostic`]s with positions.

pub mod cli;
pub mod collect;
pub mod config;
pub mod diagnostic;
pub mod engine;
pub mod eval;
pub mod facts;
pub mod findings;
pub mod history;
pub mod i18n;
pub mod io;
pub mod output;
pub mod pdata;
pub mod policy;
pub mod register;
pub mod report;
pub mod send;
pub mod serve;
pub mod settings;
pub mod spanned_toml;
pub mod waiver;
