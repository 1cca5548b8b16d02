//! Load for `bench/serve.sh`: UNITS × MACHINES result uploads to a running `khien serve`
//! from CONCURRENCY clients at once, each a real result document (gzip, bearer token,
//! the same request as `khien scan host --send`), then the dashboard timed.
//!
//! ```text
//! serve_load URL CA_PEM TOKENS_CSV TEMPLATE_JSON MACHINES CONCURRENCY ACCOUNT PASSWORD
//! ```
//!
//! TOKENS_CSV is `khien serve tokens issue`'s tokens.csv; TEMPLATE_JSON a host result
//! whose first target is copied for every machine. Prints one line of figures per
//! measure. Talks only to URL (loopback in the benchmark).

use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 9 {
        eprintln!(
            "usage: serve_load URL CA_PEM TOKENS_CSV TEMPLATE_JSON MACHINES CONCURRENCY ACCOUNT PASSWORD"
        );
        std::process::exit(2);
    }
    let url = a[1].trim_end_matches('/').to_string();
    let ca = std::fs::read(&a[2]).unwrap();
    let mut units = Vec::new();
    for rec in csv::Reader::from_path(&a[3]).unwrap().records() {
        let rec = rec.unwrap();
        units.push((rec[0].to_string(), rec[1].to_string(), rec[2].to_string()));
    }
    let template: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&a[4]).unwrap()).unwrap();
    let machines: usize = a[5].parse().unwrap();
    let concurrency: usize = a[6].parse().unwrap();
    let (account, password) = (a[7].clone(), a[8].clone());

    let roots = khien::collect::web::tls::root_store(Some(&ca)).unwrap();
    let tls = rustls::ClientConfig::builder_with_provider(khien::collect::web::tls::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();

    // Every (unit, machine) document, built and compressed before the clock starts.
    let mut jobs = Vec::with_capacity(units.len() * machines);
    for (code, name, token) in &units {
        for m in 0..machines {
            let mut doc = template.clone();
            doc["unit"] = serde_json::json!({"code": code, "name": name});
            let mut target = template["targets"][0].clone();
            target["target"]["id"] = format!("{code}-PC-{m:02}").into();
            target["target"]["unit"] = serde_json::json!({"code": code, "name": name});
            doc["targets"] = serde_json::json!([target]);
            jobs.push((token.clone(), gzip(&serde_json::to_vec(&doc).unwrap())));
        }
    }
    let total = jobs.len();
    let jobs = Arc::new(std::sync::Mutex::new(jobs));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let upload_url = format!("{url}/api/v1/results");
    let started = Instant::now();
    let (latencies, failures) = rt.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..concurrency {
            let jobs = jobs.clone();
            let client = client.clone();
            let upload_url = upload_url.clone();
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut failed = 0usize;
                loop {
                    let job = jobs.lock().unwrap().pop();
                    let Some((token, body)) = job else { break };
                    let t = Instant::now();
                    let r = client
                        .post(&upload_url)
                        .bearer_auth(&token)
                        .header("content-type", "application/json")
                        .header("content-encoding", "gzip")
                        .body(body)
                        .send()
                        .await;
                    match r {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                        }
                        Ok(r) => {
                            failed += 1;
                            if failed < 3 {
                                eprintln!(
                                    "upload: HTTP {}: {}",
                                    r.status(),
                                    r.text().await.unwrap_or_default()
                                );
                            }
                        }
                        Err(e) => {
                            failed += 1;
                            if failed < 3 {
                                eprintln!("upload: {e}");
                            }
                        }
                    }
                    lat.push(t.elapsed());
                }
                (lat, failed)
            }));
        }
        let mut all = Vec::new();
        let mut failed = 0;
        for t in tasks {
            let (l, f) = t.await.unwrap();
            all.extend(l);
            failed += f;
        }
        (all, failed)
    });
    let elapsed = started.elapsed();
    let mut sorted = latencies;
    sorted.sort();
    println!(
        "uploads: {total} in {:.1} s = {:.0}/s from {concurrency} clients; failed {failures}; latency p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        percentile(&sorted, 0.5).as_secs_f64() * 1000.0,
        percentile(&sorted, 0.99).as_secs_f64() * 1000.0,
        sorted.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
    );

    // The dashboard, logged in, 30 times one after another.
    rt.block_on(async {
        let login = client.get(format!("{url}/login")).send().await.unwrap();
        let csrf = login
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("khien_login="))
            .and_then(|v| v.split(';').next())
            .unwrap()
            .to_string();
        let r = client
            .post(format!("{url}/login"))
            .header("cookie", format!("khien_login={csrf}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs([
                        ("name", account.as_str()),
                        ("password", password.as_str()),
                        ("csrf", csrf.as_str()),
                    ])
                    .finish(),
            )
            .send()
            .await
            .unwrap();
        let session = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("khien_session="))
            .and_then(|v| v.split(';').next())
            .expect("logged in")
            .to_string();
        for (name, path) in [
            ("dashboard", "/"),
            ("debt list", "/debt?severity=high&page=2"),
        ] {
            let mut lat = Vec::new();
            let mut bytes = 0;
            for _ in 0..30 {
                let t = Instant::now();
                let r = client
                    .get(format!("{url}{path}"))
                    .header("cookie", format!("khien_session={session}"))
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success(), "{path}: {}", r.status());
                bytes = r.bytes().await.unwrap().len();
                lat.push(t.elapsed());
            }
            lat.sort();
            println!(
                "{name}: {bytes} bytes; latency p50 {:.0} ms, p99 {:.0} ms (30 requests)",
                percentile(&lat, 0.5).as_secs_f64() * 1000.0,
                percentile(&lat, 0.99).as_secs_f64() * 1000.0,
            );
        }
    });
}
