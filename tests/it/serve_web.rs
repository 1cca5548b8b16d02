//! The Department's pages of `khien serve` on loopback: login with CSRF and argon2,
//! session cookies, a school's account limited to its unit, the dashboard from the
//! report's code, the debt list's filters and pages, downloads, the login rate
//! limit, and khien's own website rules passing against the server.

use std::collections::BTreeMap;

use crate::support::khien;
use crate::support::serve::{SERVE_NAME, Site, cookie_from, request};

pub(crate) const DEPT_PASSWORD: &str = "mật khẩu của Sở đủ dài";
const SCHOOL_PASSWORD: &str = "mật khẩu của trường";

fn hash(password: &str) -> String {
    let o = khien()
        .args(["serve", "hash-password"])
        .write_stdin(format!("{password}\n"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

/// A server holding round-1 of the example province, with a Department account
/// `so` and a school account `truong` of LD-THPT-001.
pub(crate) fn province() -> (Site, crate::support::serve::Served) {
    let site = Site::new();
    site.config(
        "127.0.0.1:0",
        &format!(
            "[[account]]\nname = \"so\"\npassword_hash = \"{}\"\n\n[[account]]\nname = \"truong\"\npassword_hash = \"{}\"\nunit = \"LD-THPT-001\"\n",
            hash(DEPT_PASSWORD),
            hash(SCHOOL_PASSWORD)
        ),
    );
    let tokens = site.issue(&[]);
    let server = site.start();
    let dir = crate::support::repo_path("fixtures/results/round-1");
    let mut by_unit: BTreeMap<String, Vec<std::path::PathBuf>> = BTreeMap::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json")
            && p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("host-")
        {
            let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            let unit = v["targets"][0]["target"]["unit"]["code"]
                .as_str()
                .unwrap()
                .to_string();
            by_unit.entry(unit).or_default().push(p);
        }
    }
    for (unit, files) in by_unit {
        let s = khien::config::SendSettings {
            url: server.url.clone(),
            token: tokens[&unit].clone(),
            ca_file: Some(site.ca_pem.display().to_string()),
            outbox: None,
        };
        for f in files {
            let outbox = site.path().join(format!("outbox-{unit}"));
            let d = khien::send::queue_and_send(
                &s,
                None,
                &outbox,
                "r.json",
                &std::fs::read(&f).unwrap(),
            )
            .unwrap();
            assert!(
                matches!(&d[0].outcome, khien::send::Outcome::Sent(_)),
                "{d:?}"
            );
        }
    }
    (site, server)
}

struct Browser<'a> {
    site: &'a Site,
    base: String,
    session: Option<String>,
}

impl Browser<'_> {
    fn get(&self, path: &str) -> (u16, Vec<(String, String)>, String) {
        let cookie = self
            .session
            .as_ref()
            .map(|s| format!("khien_session={s}"))
            .unwrap_or_default();
        request(
            "GET",
            &format!("{}{path}", self.base),
            &self.site.ca_pem,
            &[("cookie", &cookie)],
            vec![],
        )
    }

    fn post(
        &self,
        path: &str,
        cookie: &str,
        form: &[(&str, &str)],
    ) -> (u16, Vec<(String, String)>, String) {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        request(
            "POST",
            &format!("{}{path}", self.base),
            &self.site.ca_pem,
            &[
                ("cookie", cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            body.into_bytes(),
        )
    }

    /// Logs in through the form; the status of the POST.
    fn login(&mut self, name: &str, password: &str) -> (u16, Vec<(String, String)>, String) {
        let (status, headers, body) = self.get("/login");
        assert_eq!(status, 200);
        let csrf = cookie_from(&headers, "khien_login").expect("a CSRF cookie");
        assert!(
            body.contains(&format!("name=\"csrf\" value=\"{csrf}\"")),
            "{body}"
        );
        let r = self.post(
            "/login",
            &format!("khien_login={csrf}"),
            &[("name", name), ("password", password), ("csrf", &csrf)],
        );
        if let Some(s) = cookie_from(&r.1, "khien_session") {
            self.session = Some(s);
        }
        r
    }
}

fn location(headers: &[(String, String)]) -> String {
    headers
        .iter()
        .find(|(k, _)| k == "location")
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

#[test]
fn logins_sessions_the_dashboard_debt_list_and_downloads() {
    let (site, server) = province();
    let mut b = Browser {
        site: &site,
        base: server.url.clone(),
        session: None,
    };

    // No session: to the login page.
    let (status, headers, _) = b.get("/");
    assert_eq!((status, location(&headers).as_str()), (303, "/login"));

    // A form without its CSRF cookie, and a wrong password, are refused.
    let (status, _, body) = b.post(
        "/login",
        "",
        &[("name", "so"), ("password", DEPT_PASSWORD), ("csrf", "x")],
    );
    assert_eq!(status, 403, "{body}");
    let (status, _, body) = b.login("so", "sai mật khẩu");
    assert_eq!(status, 401);
    assert!(body.contains("Sai tài khoản hoặc mật khẩu"), "{body}");
    assert!(b.session.is_none());

    let (status, headers, _) = b.login("so", DEPT_PASSWORD);
    assert_eq!(status, 303);
    let set = headers
        .iter()
        .find(|(k, v)| k == "set-cookie" && v.starts_with("khien_session="))
        .unwrap()
        .1
        .clone();
    for part in ["Secure", "HttpOnly", "SameSite=Strict"] {
        assert!(set.contains(part), "{set}");
    }

    // The dashboard: the province report from the live store.
    let (status, headers, body) = b.get("/");
    assert_eq!(status, 200);
    assert!(
        body.contains("Báo cáo nợ tuân thủ an toàn thông tin ngành Giáo dục"),
        "{body}"
    );
    for unit in ["LD-THPT-001", "LD-TH-004", "LD-THCS-003"] {
        assert!(body.contains(unit), "{unit} on the dashboard");
    }
    assert!(body.contains("Danh sách nợ tuân thủ") && body.contains("Đăng xuất"));
    assert!(!body.contains("<script"), "no JavaScript");
    assert!(!body.contains("src=\"http"), "no external assets");
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "cache-control" && v == "no-store")
    );
    let (_, _, en) = b.get("/?lang=en");
    assert!(
        en.contains("compliance-debt report") && en.contains("Log out"),
        "English on request"
    );

    // The debt list: filters and pages.
    let (status, _, all) = b.get("/debt");
    assert_eq!(status, 200);
    let rows = |html: &str| html.matches("<tr><td>").count();
    assert_eq!(rows(&all), 50, "the first page is full");
    assert!(all.contains("rel=\"next\""));
    let total: usize = all
        .split("<p>")
        .nth(1)
        .and_then(|p| p.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(total > 50, "{total}");
    let (_, _, last) = b.get(&format!("/debt?page={}", total.div_ceil(50)));
    assert_eq!(rows(&last), total - 50 * (total.div_ceil(50) - 1));
    assert!(last.contains("rel=\"prev\"") && !last.contains("rel=\"next\""));
    let (_, _, high) = b.get("/debt?severity=high");
    assert!(rows(&high) > 0);
    assert_eq!(
        high.matches("class=\"sev-high\"").count(),
        rows(&high),
        "only high rows"
    );
    let (_, _, one) = b.get("/debt?unit=LD-TH-004&overdue=1");
    assert!(
        rows(&one) > 0 && !one.contains("<a href=\"/unit/LD-THPT-001\""),
        "one unit only"
    );
    assert!(one.contains("(quá hạn)"));
    let (_, _, rule) = b.get("/debt?rule=HOST-AV-001");
    assert!(rule.matches("HOST-AV-001").count() >= rows(&rule));

    // A unit's page.
    let (status, _, unit) = b.get("/unit/LD-TH-004");
    assert_eq!(status, 200);
    assert!(
        unit.contains("Báo cáo tuân thủ an toàn thông tin của đơn vị")
            && unit.contains("LD-TH-004")
    );

    // Downloads through the report writers.
    let (status, headers, xlsx) = b.get("/download/xlsx");
    assert_eq!(status, 200);
    assert!(xlsx.starts_with("PK"), "a workbook");
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-disposition" && v.contains(".xlsx"))
    );
    let (_, _, json) = b.get("/download/json");
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(
        report["debt_totals"]["open"].as_u64().unwrap() as usize == total,
        "{}",
        report["debt_totals"]
    );
    let (_, _, csv) = b.get("/download/csv");
    assert!(csv.lines().count() > 10);
    let (_, _, html) = b.get("/download/html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(b.get("/download/exe").0, 404);

    // Logout needs the session's CSRF token.
    let cookie = format!("khien_session={}", b.session.clone().unwrap());
    let (status, _, _) = b.post("/logout", &cookie, &[("csrf", "wrong")]);
    assert_eq!(status, 403);
    let csrf = body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let (status, _, _) = b.post("/logout", &cookie, &[("csrf", &csrf)]);
    assert_eq!(status, 303);
    assert_eq!(b.get("/").0, 303, "the session is over");

    let ledger = rusqlite::Connection::open(site.data().join("serve.db")).unwrap();
    let events: Vec<String> = ledger
        .prepare("SELECT event FROM audit WHERE event LIKE 'login%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for e in ["login", "login_failed", "login_refused"] {
        assert!(events.iter().any(|x| x == e), "{e} in {events:?}");
    }
}

#[test]
fn a_schools_account_sees_only_its_unit_and_logins_are_rate_limited() {
    let (site, server) = province();
    let mut b = Browser {
        site: &site,
        base: server.url.clone(),
        session: None,
    };
    assert_eq!(b.login("truong", SCHOOL_PASSWORD).0, 303);
    let (status, _, home) = b.get("/");
    assert_eq!(status, 200);
    assert!(
        home.contains("Báo cáo tuân thủ an toàn thông tin của đơn vị")
            && home.contains("LD-THPT-001")
    );
    assert!(
        !home.contains("LD-TH-004"),
        "another unit on the school's page"
    );
    assert_eq!(b.get("/unit/LD-TH-004").0, 403);
    assert_eq!(b.get("/unit/LD-THPT-001").0, 200);
    assert_eq!(b.get("/debt?unit=LD-TH-004").0, 403);
    let (_, _, debt) = b.get("/debt");
    assert!(!debt.contains("LD-TH-004") && debt.contains("LD-THPT-001"));
    let (_, _, json) = b.get("/download/json");
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["unit"]["code"], "LD-THPT-001");

    // Ten attempts a minute per address; the next are refused with 429.
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let mut other = Browser {
            site: &site,
            base: server.url.clone(),
            session: None,
        };
        statuses.push(other.login("so", "đoán mò").0);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
}

#[test]
fn the_server_passes_khiens_own_website_rules() {
    let (site, server) = province();
    let port = server.url.rsplit(':').next().unwrap().to_string();
    let url = format!("https://{SERVE_NAME}:{port}/");
    let (doc, _code, stderr) = crate::support::web::scan_json(&[
        "--ca-file",
        site.ca_pem.to_str().unwrap(),
        "--resolve",
        &format!("{SERVE_NAME}:127.0.0.1"),
        &url,
    ]);
    let findings = doc["targets"][0]["findings"].as_array().unwrap();
    assert!(findings.len() > 5, "{stderr}");
    let failing: Vec<String> = findings
        .iter()
        .filter(|f| f["status"] == "fail")
        .map(|f| format!("{} {}", f["rule"], f["title"]["en"]))
        .collect();
    assert!(failing.is_empty(), "failing website rules: {failing:#?}");
    assert!(
        findings
            .iter()
            .any(|f| f["rule"] == "WEB-TLS-001" && f["status"] == "pass")
    );
}

/// The `href` values of the links of `html` that start with `prefix`, unescaped.
fn links(html: &str, prefix: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(|h| {
            h.replace("&amp;", "&")
                .replace("&#39;", "'")
                .replace("&quot;", "\"")
        })
        .filter(|h| h.starts_with(prefix))
        .collect()
}

#[test]
fn commune_and_machine_pages_from_the_reports_figures() {
    let (site, server) = province();
    let mut b = Browser {
        site: &site,
        base: server.url.clone(),
        session: None,
    };
    assert_eq!(b.login("so", DEPT_PASSWORD).0, 303);
    // A newer scan of LD-TH-004 whose findings carry their failing-state titles (`problem`), as today's scans do, sent with an administrator token.
    let admin = site.issue(&["--admin", "kiem-thu"]);
    let mut doc: serde_json::Value = serde_json::from_slice(
        &std::fs::read(crate::support::repo_path(
            "fixtures/results/round-1/host-ld-th-004.json",
        ))
        .unwrap(),
    )
    .unwrap();
    doc["evaluated_at"] = "2026-01-21T20:00:00Z".into();
    for t in doc["targets"].as_array_mut().unwrap() {
        t["collected_at"] = "2026-01-21T20:00:00Z".into();
        // The engine writes it on every finding, whatever the status.
        for f in t["findings"].as_array_mut().unwrap() {
            f["problem"] = serde_json::json!({
                "vi": format!("Đang mắc: {}", f["title"]["vi"].as_str().unwrap()),
                "en": format!("Failing: {}", f["title"]["en"].as_str().unwrap()),
            });
        }
    }
    let sent = khien::send::queue_and_send(
        &khien::config::SendSettings {
            url: server.url.clone(),
            token: admin.values().next().unwrap().clone(),
            ca_file: Some(site.ca_pem.display().to_string()),
            outbox: None,
        },
        None,
        &site.path().join("outbox-admin"),
        "r.json",
        &serde_json::to_vec(&doc).unwrap(),
    )
    .unwrap();
    assert!(
        matches!(&sent[0].outcome, khien::send::Outcome::Sent(_)),
        "{sent:?}"
    );
    let (_, _, json) = b.get("/download/json");
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();

    // The dashboard links every commune of the register's units.
    let (_, _, home) = b.get("/");
    let communes = links(&home, "/commune/");
    let expected: Vec<&str> = report["debt_by_commune"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["commune"].as_str().unwrap())
        .collect();
    assert_eq!(communes.len(), expected.len(), "{communes:?}");
    // One with an apostrophe and a dash in its name, percent-encoded in the link.
    let blao = communes
        .iter()
        .find(|h| h.contains("B%27Lao"))
        .expect("Phường B'Lao linked");
    let (status, _, page) = b.get(blao);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Xã/phường — Phường B&#39;Lao"), "{page}");
    assert!(!page.contains("<script"));
    // Its units (and no other), linked to their pages.
    let units: Vec<&str> = report["units"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["commune"] == "Phường B'Lao")
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    let mut sorted = units.clone();
    sorted.sort();
    assert_eq!(sorted, ["LD-TH-007", "LD-THPT-006"]);
    for u in &units {
        assert!(page.contains(&format!("href=\"/unit/{u}\"")), "{u}");
    }
    assert!(!page.contains("LD-THPT-001"), "a unit of another commune");
    // The same indicator values as the report's per-commune figures.
    for ind in report["indicators"].as_array().unwrap() {
        let Some(v) = ind["communes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["scope"] == "Phường B'Lao")
        else {
            continue;
        };
        let code = ind["code"].as_str().unwrap();
        let row = page
            .split(&format!("<tr><td>{code}</td>"))
            .nth(1)
            .unwrap_or_else(|| panic!("{code} on the commune page"));
        let row = row.split("</tr>").next().unwrap();
        let cells: Vec<&str> = row
            .split("<td")
            .skip(4)
            .map(|c| c.split('>').nth(1).unwrap().split('<').next().unwrap())
            .collect();
        assert_eq!(
            (cells[0], cells[1], cells[2]),
            (
                v["pass"].to_string().as_str(),
                v["fail"].to_string().as_str(),
                v["unknown"].to_string().as_str()
            ),
            "{code}: {row}"
        );
    }
    // The commune's debt list.
    let debt = links(&page, "/debt?commune=");
    let (status, _, list) = b.get(&debt[0]);
    assert_eq!(status, 200);
    assert!(list.contains("LD-THPT-006") && !list.contains(">LD-TH-004<"));
    let (_, _, en) = b.get(&format!("{blao}?lang=en"));
    assert!(en.contains("Commune — Phường B&#39;Lao") && en.contains("Log out"));
    assert_eq!(b.get("/commune/Nowhere").0, 404);

    // A unit's page lists its machines, worst first, each linked to its findings.
    let (_, _, unit) = b.get("/unit/LD-TH-004");
    let machines = links(&unit, "/machine?");
    assert!(!machines.is_empty(), "machines on the unit page");
    let (status, _, m) = b.get(&machines[0]);
    assert_eq!(status, 200, "{m}");
    let id = machines[0]
        .split("id=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    assert!(m.contains(&format!("Máy tính: {id}")), "{m}");
    let fail = m.find("id=\"khong-dat\"").expect("failing findings");
    let pass = m.find("id=\"dat\"").expect("passing findings");
    assert!(fail < pass, "worst first");
    // Failing findings by their failing-state titles, from the rules' texts.
    let failing: Vec<&serde_json::Value> = report["debt"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["target_id"] == id)
        .collect();
    assert!(!failing.is_empty());
    for d in &failing {
        let rule = d["rule"].as_str().unwrap();
        let problem = report["rule_texts"][rule]["problem_vi"].as_str().unwrap();
        assert!(problem.starts_with("Đang mắc: "), "{rule}: {problem}");
        let at = m.find(&format!("<b>{rule}</b> ")).unwrap();
        assert!(at > fail && at < pass, "{rule} among the failing");
        assert!(
            m[at..].starts_with(&format!(
                "<b>{rule}</b> {}",
                khien::report::safe::html(problem)
            )),
            "{rule}: {problem}"
        );
    }
    assert!(
        !m[pass..].contains("Đang mắc: "),
        "passing findings by their rule titles"
    );
    // The debt list links the machine too.
    let (_, _, list) = b.get("/debt?unit=LD-TH-004");
    assert!(links(&list, "/machine?").iter().any(|h| h.contains(id)));

    // A school's account: its own machines, nothing else.
    let mut s = Browser {
        site: &site,
        base: server.url.clone(),
        session: None,
    };
    assert_eq!(s.login("truong", SCHOOL_PASSWORD).0, 303);
    assert_eq!(s.get(blao).0, 403);
    assert_eq!(s.get(&machines[0]).0, 403, "another unit's machine");
    let (_, _, home) = s.get("/");
    assert!(links(&home, "/commune/").is_empty());
    let own = links(&home, "/machine?");
    assert!(!own.is_empty() && own.iter().all(|h| h.contains("unit=LD-THPT-001")));
    assert_eq!(s.get(&own[0]).0, 200);
    let (_, _, list) = s.get("/debt");
    assert!(links(&list, "/commune/").is_empty());
}
