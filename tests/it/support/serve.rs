//! A real `khien serve` for the tests: the binary started as a child process on a
//! loopback port, with TLS from a test CA (rcgen), the example province's register,
//! and a data folder in a temporary directory; stopped (SIGTERM, then kill) when
//! dropped. Schools are folders with a khien.toml whose [send] points at it.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::web::Ca;

/// The server's name in its certificate (reached with `--resolve NAME:127.0.0.1`).
pub const SERVE_NAME: &str = "khien-serve.test";

/// A folder with what a server needs: register, certificate, key, CA.
pub struct Site {
    pub dir: tempfile::TempDir,
    pub ca_pem: PathBuf,
}

impl Site {
    pub fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(
            super::repo_path("fixtures/results/register.toml"),
            dir.path().join("register.toml"),
        )
        .unwrap();
        let ca = Ca::root("khien serve test CA");
        // A 90-day certificate, as a real one would be (the website rules judge it).
        let today = jiff::Zoned::now().date();
        let ymd = |d: jiff::civil::Date| (d.year() as i32, d.month() as u8, d.day() as u8);
        let leaf = ca.leaf(
            &["127.0.0.1", "localhost", SERVE_NAME],
            ymd(today.checked_sub(jiff::Span::new().days(10)).unwrap()),
            ymd(today.checked_add(jiff::Span::new().days(80)).unwrap()),
        );
        std::fs::write(dir.path().join("cert.pem"), &leaf.pem).unwrap();
        std::fs::write(dir.path().join("key.pem"), &leaf.key_pem).unwrap();
        let ca_pem = dir.path().join("ca.pem");
        std::fs::write(&ca_pem, &ca.pem).unwrap();
        Site { dir, ca_pem }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn data(&self) -> PathBuf {
        self.path().join("data")
    }

    /// Writes khien-serve.toml listening on `listen`, with `extra` lines appended.
    /// Pages show every upload at once (`page_lag_seconds = 0`): the tests look
    /// right after sending (the lag itself is tested in `serve::reports`).
    pub fn config(&self, listen: &str, extra: &str) -> PathBuf {
        let p = self.path().join("khien-serve.toml");
        std::fs::write(
            &p,
            format!(
                "listen = \"{listen}\"\ndata_dir = \"data\"\nregister = \"register.toml\"\npage_lag_seconds = 0\n{extra}\n[tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n"
            ),
        )
        .unwrap();
        p
    }

    /// Issues tokens (`khien serve tokens issue`) with `args` and returns unit → token.
    pub fn issue(&self, args: &[&str]) -> BTreeMap<String, String> {
        let out = tempfile::tempdir_in(self.path()).unwrap();
        let mut cmd = super::khien();
        cmd.args(["serve", "tokens", "--config"])
            .arg(self.path().join("khien-serve.toml"))
            .arg("issue")
            .args(args)
            .arg("--out")
            .arg(out.path().join("t"));
        let o = cmd.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let mut r = csv::Reader::from_path(out.path().join("t/tokens.csv")).unwrap();
        r.records()
            .map(|rec| {
                let rec = rec.unwrap();
                (rec[0].to_string(), rec[2].to_string())
            })
            .collect()
    }

    /// Starts `khien serve` with the written configuration.
    pub fn start(&self) -> Served {
        Served::start(
            self.path().join("khien-serve.toml"),
            self.path().join("server.log"),
        )
    }

    /// A school's folder: khien.toml with its unit and a [send] section to `url`.
    pub fn school(&self, unit: &str, url: &str, token: &str) -> PathBuf {
        let d = self.path().join(format!("school-{unit}"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("khien.toml"),
            format!(
                "[unit]\ncode = \"{unit}\"\nname = \"Trường thử\"\n\n[send]\nurl = \"{url}\"\ntoken = \"{token}\"\nca_file = \"{}\"\noutbox = \"outbox\"\n",
                self.ca_pem.display()
            ),
        )
        .unwrap();
        d
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.path().join("server.log")).unwrap_or_default()
    }
}

/// A running `khien serve`.
pub struct Served {
    pub child: Child,
    /// `https://127.0.0.1:PORT`
    pub url: String,
}

/// A port nothing listens on now (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Served {
    pub fn start(config: PathBuf, log: PathBuf) -> Served {
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("khien"))
            .env_remove("KHIEN_LANG")
            .args(["serve", "--config"])
            .arg(&config)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file))
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("khien serve: ")
            .unwrap_or_else(|| {
                panic!(
                    "khien serve did not start: {line:?}\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                )
            })
            .to_string();
        Served { child, url }
    }

    /// SIGTERM, and the exit status within `within`.
    pub fn terminate(&mut self, within: Duration) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            assert!(
                start.elapsed() < within,
                "khien serve did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `kill -9`: no chance to finish anything.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A session's cookie header from a response's `set-cookie` headers.
pub fn cookie_from(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .filter(|(k, _)| k == "set-cookie")
        .filter_map(|(_, v)| v.split(';').next())
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty())
        .map(|(_, v)| v.to_string())
}

/// One HTTP request with the test CA trusted: (status, headers, body).
pub fn request(
    method: &str,
    url: &str,
    ca_pem: &Path,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (u16, Vec<(String, String)>, String) {
    let pem = std::fs::read(ca_pem).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let roots = khien::collect::web::tls::root_store(Some(&pem)).unwrap();
        let tls = rustls::ClientConfig::builder_with_provider(khien::collect::web::tls::provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut req = client.request(method.parse().unwrap(), url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.body(body).send().await.unwrap();
        let status = resp.status().as_u16();
        let hs = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        (status, hs, resp.text().await.unwrap())
    })
}
