//! A throw-away PostgreSQL cluster for a test: initdb and pg_ctl from Debian's
//! packages (`.ci/setup-postgres.sh` installs them), in a temporary folder, on a free
//! loopback port, trusting local connections, stopped when dropped. As root (CI) the
//! server runs as the `postgres` user, since PostgreSQL refuses to run as root.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Cluster {
    dir: tempfile::TempDir,
    data: PathBuf,
    pg_ctl: PathBuf,
    run_as: Option<&'static str>,
    pub port: u16,
}

/// The newest installed PostgreSQL's `bin/NAME`, else NAME on the PATH.
fn bin(name: &str) -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    versions.sort_by_key(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(0)
    });
    if let Some(p) = versions
        .iter()
        .rev()
        .map(|v| v.join("bin").join(name))
        .find(|p| p.is_file())
    {
        return Some(p);
    }
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .ok()?;
    let p = String::from_utf8_lossy(&found.stdout).trim().to_string();
    (!p.is_empty()).then(|| PathBuf::from(p))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn run(run_as: Option<&str>, program: &Path, args: &[&str]) {
    let mut cmd = match run_as {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--"]).arg(program);
            c
        }
        None => Command::new(program),
    };
    let out = cmd.args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{} {args:?}: {}{}",
        program.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Cluster {
    /// Starts a cluster, or says why not (see [`super::skip`]) and returns `None`.
    pub fn start() -> Option<Cluster> {
        let (Some(initdb), Some(pg_ctl)) = (bin("initdb"), bin("pg_ctl")) else {
            super::skip("PostgreSQL (initdb, pg_ctl) is not installed: run .ci/setup-postgres.sh");
            return None;
        };
        let run_as = is_root().then_some("postgres");
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("pg");
        std::fs::create_dir(&home).unwrap();
        if let Some(user) = run_as {
            // Root runs the cluster as `postgres`, which must reach the folder.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
                    .unwrap();
            }
            run(None, Path::new("chown"), &[user, home.to_str().unwrap()]);
        }
        let data = home.join("data");
        run(
            run_as,
            &initdb,
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "khien",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C",
            ],
        );
        let port = super::serve::free_port();
        let opts = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c full_page_writes=off",
            home.display()
        );
        run(
            run_as,
            &pg_ctl,
            &[
                "-D",
                data.to_str().unwrap(),
                "-o",
                &opts,
                "-l",
                home.join("log").to_str().unwrap(),
                "-w",
                "start",
            ],
        );
        Some(Cluster {
            dir,
            data,
            pg_ctl,
            run_as,
            port,
        })
    }

    /// Creates a database and returns its connection string.
    pub fn database(&self, name: &str) -> String {
        let mut c = postgres::Client::connect(
            &format!(
                "host=127.0.0.1 port={} user=khien dbname=postgres",
                self.port
            ),
            postgres::NoTls,
        )
        .unwrap();
        c.batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .unwrap();
        format!("postgres://khien@127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let mut cmd = match self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&self.pg_ctl);
                c
            }
            None => Command::new(&self.pg_ctl),
        };
        let _ = cmd
            .args(["-D", self.data.to_str().unwrap(), "-m", "immediate", "stop"])
            .output();
        let _ = &self.dir;
    }
}
