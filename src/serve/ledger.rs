//! The server's own book, `serve.db` (SQLite) in the data folder: enrolment tokens
//! (only their SHA-256 is kept), the uploads received (by content address, with what
//! was done with each) and the audit log. It is apart from the findings history so
//! that `khien serve tokens` can change tokens while the server runs, whichever store
//! (SQLite or PostgreSQL) holds the history.

use std::path::Path;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

const SCHEMA_SQL: &str = "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens(
  id INTEGER PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  unit_code TEXT NOT NULL, unit_name TEXT NOT NULL,
  admin INTEGER NOT NULL DEFAULT 0,
  issued_at INTEGER NOT NULL, revoked_at INTEGER);
CREATE INDEX IF NOT EXISTS tokens_by_unit ON tokens(unit_code);
CREATE TABLE IF NOT EXISTS uploads(
  sha256 TEXT PRIMARY KEY, unit_code TEXT NOT NULL, received_at INTEGER NOT NULL,
  status TEXT NOT NULL, reason TEXT, bytes INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS audit(
  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, event TEXT NOT NULL,
  unit_code TEXT, remote TEXT, detail TEXT);
";

/// Version of the tables above.
pub const LEDGER_SCHEMA: &str = "khien-serve-ledger/1";

/// The token prefix, so a leaked token is recognisable (secret scanners, logs).
pub const TOKEN_PREFIX: &str = "khien_";

/// An enrolment token as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub admin: bool,
    pub issued_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    /// The first 12 hex digits of the hash: tells tokens apart without revealing them.
    pub fingerprint: String,
}

/// What happened to an upload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UploadStatus {
    Accepted,
    Quarantined,
}

impl UploadStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UploadStatus::Accepted => "accepted",
            UploadStatus::Quarantined => "quarantined",
        }
    }
}

pub struct Ledger {
    conn: Connection,
}

/// An accepted upload as [`Ledger::record_accepted`] writes it.
pub struct AcceptedUpload {
    pub sha256: String,
    pub unit_code: String,
    pub bytes: u64,
    pub remote: String,
    /// The audit line's detail.
    pub detail: String,
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// A new random token: 32 bytes from the operating system's generator, in hex.
pub fn new_token() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
    Ok(format!("{TOKEN_PREFIX}{}", hex(&bytes)))
}

/// The stored form of a token. A salt is not needed: the token is 256 random bits,
/// so no table of guesses can cover it (passwords get argon2 instead).
pub fn token_hash(token: &str) -> String {
    sha256_hex(token.trim().as_bytes())
}

fn ts(s: i64) -> Timestamp {
    Timestamp::from_second(s).unwrap_or(Timestamp::UNIX_EPOCH)
}

impl Ledger {
    pub fn open(path: &Path) -> Result<Ledger, rusqlite::Error> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // WAL: `khien serve tokens` writes while the server reads.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SCHEMA_SQL)?;
        let version: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| {
                r.get(0)
            })
            .optional()?;
        match version.as_deref() {
            None => {
                conn.execute(
                    "INSERT INTO meta(key, value) VALUES ('schema', ?1)",
                    [LEDGER_SCHEMA],
                )?;
            }
            Some(LEDGER_SCHEMA) => {}
            Some(other) => {
                return Err(rusqlite::Error::InvalidParameterName(format!(
                    "serve.db version `{other}` is not supported (expected `{LEDGER_SCHEMA}`)"
                )));
            }
        }
        Ok(Ledger { conn })
    }

    /// Stores the hash of a new token for a unit and returns the token itself (shown
    /// once: it cannot be read back).
    pub fn issue(
        &mut self,
        unit_code: &str,
        unit_name: &str,
        admin: bool,
    ) -> Result<String, String> {
        let token = new_token()?;
        self.conn
            .execute(
                "INSERT INTO tokens(hash, unit_code, unit_name, admin, issued_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![token_hash(&token), unit_code, unit_name, admin, Timestamp::now().as_second()],
            )
            .map_err(|e| e.to_string())?;
        Ok(token)
    }

    /// Revokes every active token of a unit; returns how many.
    pub fn revoke_unit(&mut self, unit_code: &str) -> Result<usize, rusqlite::Error> {
        self.conn.execute(
            "UPDATE tokens SET revoked_at = ?1 WHERE unit_code = ?2 AND revoked_at IS NULL",
            params![Timestamp::now().as_second(), unit_code],
        )
    }

    /// Revokes one token by its fingerprint (as `export` lists it).
    pub fn revoke_fingerprint(&mut self, fingerprint: &str) -> Result<usize, rusqlite::Error> {
        if fingerprint.len() < 8 || !fingerprint.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(0);
        }
        self.conn.execute(
            "UPDATE tokens SET revoked_at = ?1 WHERE hash LIKE ?2 AND revoked_at IS NULL",
            params![
                Timestamp::now().as_second(),
                format!("{}%", fingerprint.to_ascii_lowercase())
            ],
        )
    }

    fn record(r: &rusqlite::Row) -> rusqlite::Result<TokenRecord> {
        let hash: String = r.get(1)?;
        Ok(TokenRecord {
            id: r.get(0)?,
            unit_code: r.get(2)?,
            unit_name: r.get(3)?,
            admin: r.get(4)?,
            issued_at: ts(r.get(5)?),
            revoked_at: r.get::<_, Option<i64>>(6)?.map(ts),
            fingerprint: hash.chars().take(12).collect(),
        })
    }

    /// The active token a presented secret belongs to, if any.
    pub fn lookup(&self, token: &str) -> Result<Option<TokenRecord>, rusqlite::Error> {
        self.conn
            .prepare_cached(
                "SELECT id, hash, unit_code, unit_name, admin, issued_at, revoked_at
                 FROM tokens WHERE hash = ?1 AND revoked_at IS NULL",
            )?
            .query_row([token_hash(token)], Self::record)
            .optional()
    }

    /// Every token, issued first first.
    pub fn tokens(&self) -> Result<Vec<TokenRecord>, rusqlite::Error> {
        let mut stmt = self.conn.prepare(
            "SELECT id, hash, unit_code, unit_name, admin, issued_at, revoked_at
             FROM tokens ORDER BY unit_code, id",
        )?;
        let rows = stmt.query_map([], Self::record)?;
        rows.collect()
    }

    /// Units that have an active token.
    pub fn active_units(&self) -> Result<std::collections::BTreeSet<String>, rusqlite::Error> {
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT unit_code FROM tokens WHERE revoked_at IS NULL")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect()
    }

    /// The status of an upload already received with this content address.
    pub fn upload_status(&self, sha256: &str) -> Result<Option<String>, rusqlite::Error> {
        self.conn
            .prepare_cached("SELECT status FROM uploads WHERE sha256 = ?1")?
            .query_row([sha256], |r| r.get(0))
            .optional()
    }

    pub fn record_upload(
        &self,
        sha256: &str,
        unit_code: &str,
        status: UploadStatus,
        reason: Option<&str>,
        bytes: u64,
    ) -> Result<(), rusqlite::Error> {
        self.conn
            .prepare_cached(
                "INSERT OR IGNORE INTO uploads(sha256, unit_code, received_at, status, reason, bytes)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                sha256,
                unit_code,
                Timestamp::now().as_second(),
                status.as_str(),
                reason,
                bytes as i64
            ])?;
        Ok(())
    }

    /// Records accepted uploads and their audit lines in one transaction (one sync
    /// for a whole group commit of the history).
    pub fn record_accepted(&self, rows: &[AcceptedUpload]) -> Result<(), rusqlite::Error> {
        let tx = self.conn.unchecked_transaction()?;
        for r in rows {
            self.record_upload(
                &r.sha256,
                &r.unit_code,
                UploadStatus::Accepted,
                None,
                r.bytes,
            )?;
            self.audit("upload", Some(&r.unit_code), Some(&r.remote), &r.detail)?;
        }
        tx.commit()
    }

    /// Uploads of a status, newest first.
    pub fn uploads(
        &self,
        status: UploadStatus,
    ) -> Result<Vec<(String, String, Option<String>)>, rusqlite::Error> {
        let mut stmt = self.conn.prepare(
            "SELECT sha256, unit_code, reason FROM uploads WHERE status = ?1 ORDER BY received_at DESC",
        )?;
        let rows = stmt.query_map([status.as_str()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect()
    }

    /// One line of the audit log.
    pub fn audit(
        &self,
        event: &str,
        unit_code: Option<&str>,
        remote: Option<&str>,
        detail: &str,
    ) -> Result<(), rusqlite::Error> {
        self.conn
            .prepare_cached(
                "INSERT INTO audit(at, event, unit_code, remote, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                Timestamp::now().as_second(),
                event,
                unit_code,
                remote,
                detail
            ])?;
        Ok(())
    }

    /// Audit events of a kind (for tests and the audit page).
    pub fn audit_events(
        &self,
        event: &str,
    ) -> Result<Vec<(Option<String>, String)>, rusqlite::Error> {
        let mut stmt = self
            .conn
            .prepare("SELECT unit_code, detail FROM audit WHERE event = ?1 ORDER BY id")?;
        let rows = stmt.query_map([event], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect()
    }

    /// A value the server keeps between runs (the date of the last scheduled scan).
    pub fn meta(&self, key: &str) -> Result<Option<String>, rusqlite::Error> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), rusqlite::Error> {
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    pub fn ping(&self) -> Result<(), rusqlite::Error> {
        self.conn.query_row("SELECT 1", [], |_| Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_stored_hashed_and_revocation_takes_effect() {
        let dir = tempfile::tempdir().unwrap();
        let mut l = Ledger::open(&dir.path().join("serve.db")).unwrap();
        let t = l.issue("U1", "Trường 1", false).unwrap();
        assert!(t.starts_with(TOKEN_PREFIX) && t.len() == TOKEN_PREFIX.len() + 64);
        let raw = std::fs::read(dir.path().join("serve.db")).unwrap();
        let wal = std::fs::read(dir.path().join("serve.db-wal")).unwrap_or_default();
        let needle = t.as_bytes();
        for bytes in [&raw, &wal] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "token stored in clear"
            );
        }
        assert_eq!(l.lookup(&t).unwrap().unwrap().unit_code, "U1");
        assert!(l.lookup("khien_00").unwrap().is_none());
        assert_eq!(l.revoke_unit("U1").unwrap(), 1);
        assert!(l.lookup(&t).unwrap().is_none());
        assert_ne!(l.issue("U1", "Trường 1", false).unwrap(), t);
    }
}
