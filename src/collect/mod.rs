//! Collectors: they gather facts about targets and never judge them.
//!
//! `host` reads the local machine; platform-specific code sits behind
//! [`host::platform`], the one seam between khien and the operating system.

pub mod host;
pub mod mail;
pub mod web;
