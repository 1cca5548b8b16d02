//! Evaluation: rules over facts, giving one finding per rule and target.
//!
//! Unknown facts are removed from what expressions see (and remembered with their
//! reasons), so a rule that needs one raises an error that becomes an `unknown`
//! finding naming those facts. The evaluation time is a parameter, never read from
//! the clock inside a rule, so saved facts evaluate the same way on any machine.
//!
//! Conditions run on a worker thread with a large stack, each within a time budget
//! ([`DEFAULT_RULE_BUDGET`]): CEL always terminates, but a nested comprehension can
//! take billions of steps and the `cel` crate has no step counter. A rule over its
//! budget is `unknown (timeout)`; its worker is abandoned (a thread cannot be
//! stopped) and a new one evaluates the remaining rules. A rule that ran out once is
//! not run again for other targets in the same evaluation, so a runaway rule costs
//! one core once, not once per target.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cel::{Context, ExecutionError, Value as CelValue};
use jiff::Timestamp;
use serde_json::Value;

use crate::facts::{TargetIdentity, Unknown, UnknownMarker};
use crate::findings::{Evidence, Finding, Status, TargetResult, UnknownFact};
use crate::policy::{Condition, ParamValue, Policy, Rule};

/// Time one rule's conditions may take on one target.
pub const DEFAULT_RULE_BUDGET: Duration = Duration::from_secs(10);

/// Stack of the evaluation worker: CEL's evaluator recurses once per operator.
const WORKER_STACK: usize = 256 * 1024 * 1024;

/// Evaluates a policy's rules with fixed parameters and evaluation time.
pub struct Evaluator<'p> {
    policy: &'p Policy,
    params: BTreeMap<String, ParamValue>,
    now: Timestamp,
    budget: Duration,
    /// Codes of rules that ran out of time on an earlier target.
    timed_out: Mutex<BTreeSet<String>>,
}

impl<'p> Evaluator<'p> {
    pub fn new(policy: &'p Policy, params: BTreeMap<String, ParamValue>, now: Timestamp) -> Self {
        Evaluator {
            policy,
            params,
            now,
            budget: DEFAULT_RULE_BUDGET,
            timed_out: Mutex::new(BTreeSet::new()),
        }
    }

    /// Sets the time one rule may take on one target.
    pub fn with_rule_budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }

    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Every rule for the target's kind, in policy order.
    pub fn evaluate(
        &self,
        target: &TargetIdentity,
        collected_at: Timestamp,
        facts: &Value,
    ) -> TargetResult {
        let root = target.kind.root_variable();
        let mut unknowns = Vec::new();
        let visible = strip_unknowns(facts, root, &mut unknowns);
        let params: serde_json::Map<String, Value> = self
            .params
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or(Value::Null)))
            .collect();
        let input = WorkerInput {
            env: self.policy.cel.0.clone(),
            root,
            facts: json_to_cel(&visible),
            params: json_to_cel(&Value::Object(params)),
            now: self.now,
        };
        // Rules that ran out of time on an earlier target are not run again.
        let skip: BTreeSet<String> = self.timed_out.lock().map(|t| t.clone()).unwrap_or_default();
        let rules: Vec<&Rule> = self.policy.rules_for(target.kind).collect();
        let runnable: Vec<&Rule> = rules
            .iter()
            .filter(|r| !skip.contains(&r.code))
            .copied()
            .collect();
        let mut next = 0;
        let mut findings = Vec::with_capacity(rules.len());
        let mut worker: Option<mpsc::Receiver<RuleRun>> = None;
        for rule in &rules {
            if skip.contains(&rule.code) {
                findings.push(timed_out(rule, facts, root, self.budget, false));
                continue;
            }
            let rest = &runnable[next..];
            next += 1;
            // A worker for this rule and the ones after it (unless one is running).
            let rx = match worker.take().or_else(|| spawn_worker(&input, rest)) {
                Some(rx) => rx,
                None => {
                    // No thread could be started: evaluate here, without a budget.
                    let run = run_rule(rule, &input.context());
                    findings.push(finding(rule, run, facts, root, &unknowns));
                    continue;
                }
            };
            match rx.recv_timeout(self.budget) {
                Ok(run) => {
                    findings.push(finding(rule, run, facts, root, &unknowns));
                    worker = Some(rx);
                }
                Err(_) => {
                    // The worker is left to finish on its own; its results are dropped.
                    if let Ok(mut t) = self.timed_out.lock() {
                        t.insert(rule.code.clone());
                    }
                    findings.push(timed_out(rule, facts, root, self.budget, true));
                }
            }
        }
        TargetResult {
            target: target.clone(),
            collected_at,
            findings,
        }
    }
}

/// What a worker needs to build the evaluation context (owned: the worker may
/// outlive the evaluation).
struct WorkerInput {
    env: Arc<cel::Env>,
    root: &'static str,
    facts: CelValue,
    params: CelValue,
    now: Timestamp,
}

impl WorkerInput {
    fn context(&self) -> Context<'static, 'static> {
        let mut ctx = Context::with_env(self.env.clone());
        ctx.add_variable_from_value(self.root, self.facts.clone());
        ctx.add_variable_from_value("params", self.params.clone());
        let now = self.now;
        ctx.add_function("days_since", move |ts: Arc<String>| {
            days_between(&ts, now, false)
        })
        .expect("days_since is not a standard function");
        ctx.add_function("days_until", move |ts: Arc<String>| {
            days_between(&ts, now, true)
        })
        .expect("days_until is not a standard function");
        ctx.add_function("last_yearly", move |md: Arc<String>| {
            last_yearly(&md, now).map(Arc::new)
        })
        .expect("last_yearly is not a standard function");
        ctx
    }

    fn clone_for_worker(&self) -> WorkerInput {
        WorkerInput {
            env: self.env.clone(),
            root: self.root,
            facts: self.facts.clone(),
            params: self.params.clone(),
            now: self.now,
        }
    }
}

/// The raw results of one rule's conditions.
struct RuleRun {
    applies: Option<Result<CelValue, ExecutionError>>,
    check: Option<Result<CelValue, ExecutionError>>,
}

fn run_rule(rule: &Rule, ctx: &Context) -> RuleRun {
    run_programs(
        rule.applies_when.as_ref().map(|c| &*c.program),
        &rule.check.program,
        ctx,
    )
}

/// The check runs only when the rule applies (or has no applicability condition).
fn run_programs(applies: Option<&cel::Program>, check: &cel::Program, ctx: &Context) -> RuleRun {
    let applies = applies.map(|p| p.execute(ctx));
    let check = match &applies {
        Some(Ok(CelValue::Bool(true))) | None => Some(check.execute(ctx)),
        Some(_) => None,
    };
    RuleRun { applies, check }
}

/// Starts a worker evaluating `rules` in order, sending one [`RuleRun`] each; it
/// stops when nobody listens any more.
fn spawn_worker(input: &WorkerInput, rules: &[&Rule]) -> Option<mpsc::Receiver<RuleRun>> {
    let input = input.clone_for_worker();
    let programs: Vec<(Option<Arc<cel::Program>>, Arc<cel::Program>)> = rules
        .iter()
        .map(|r| {
            (
                r.applies_when.as_ref().map(|c| c.program.clone()),
                r.check.program.clone(),
            )
        })
        .collect();
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("khien-eval".into())
        .stack_size(WORKER_STACK)
        .spawn(move || {
            let ctx = input.context();
            for (applies, check) in programs {
                let run = run_programs(applies.as_deref(), &check, &ctx);
                if tx.send(run).is_err() {
                    return;
                }
            }
        })
        .ok()?;
    Some(rx)
}

/// The finding of a rule that ran out of its time budget (`now`: on this target,
/// or on an earlier one).
fn timed_out(rule: &Rule, facts: &Value, root: &str, budget: Duration, now: bool) -> Finding {
    let why = if now {
        format!(
            "timeout: the rule's conditions took more than {} s (evaluation budget per rule)",
            budget.as_secs_f64()
        )
    } else {
        format!(
            "timeout: the rule's conditions took more than {} s on an earlier target and were not run again",
            budget.as_secs_f64()
        )
    };
    let mut f = finding(
        rule,
        RuleRun {
            applies: None,
            check: None,
        },
        facts,
        root,
        &[],
    );
    f.status = Status::Unknown;
    f.error = Some(why);
    f
}

/// The latest day on or before `now` (Vietnam time) with month and day `MM-DD`, as
/// `YYYY-MM-DD`: yearly deadlines ("05/6 every year") are policy parameters without a
/// year. 29 February falls on the 28th in other years.
fn last_yearly(md: &str, now: Timestamp) -> Result<String, ExecutionError> {
    let bad = || {
        ExecutionError::function_error(
            "last_yearly",
            format!("`{md}`: expected a month and day as MM-DD, e.g. 06-05"),
        )
    };
    let (m, d) = md.split_once('-').ok_or_else(bad)?;
    let (m, d): (i8, i8) = (m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
    let today = now
        .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(7)))
        .date();
    let on = |year: i16| {
        jiff::civil::Date::new(year, m, d)
            .or_else(|_| jiff::civil::Date::new(year, m, d - 1))
            .map_err(|_| bad())
    };
    let this_year = on(today.year())?;
    let day = if this_year <= today {
        this_year
    } else {
        on(today.year() - 1)?
    };
    Ok(day.to_string())
}

fn days_between(ts: &str, now: Timestamp, until: bool) -> Result<f64, ExecutionError> {
    let t = parse_instant(ts)
        .map_err(|e| ExecutionError::function_error("days_since", format!("`{ts}`: {e}")))?;
    let seconds = if until {
        t.as_second() - now.as_second()
    } else {
        now.as_second() - t.as_second()
    };
    Ok(seconds as f64 / 86_400.0)
}

/// A timestamp (RFC 3339), or a calendar date (`YYYY-MM-DD`, as registers record
/// decisions) taken at the start of that day in Vietnam (UTC+7): the dates on
/// Vietnamese documents are local dates.
fn parse_instant(text: &str) -> Result<Timestamp, jiff::Error> {
    match text.parse::<Timestamp>() {
        Ok(t) => Ok(t),
        Err(e) if text.len() != 10 => Err(e),
        Err(_) => text
            .parse::<jiff::civil::Date>()?
            .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(7)))
            .map(|z| z.timestamp()),
    }
}

enum Outcome {
    True,
    False,
    Unknown(Vec<UnknownFact>, Option<String>),
}

fn outcome(
    cond: &Condition,
    result: Result<CelValue, ExecutionError>,
    unknowns: &[(String, Unknown)],
) -> Outcome {
    match result {
        Ok(CelValue::Bool(true)) => Outcome::True,
        Ok(CelValue::Bool(false)) => Outcome::False,
        Ok(other) => Outcome::Unknown(
            Vec::new(),
            Some(format!("the condition gave {other:?}, not true or false")),
        ),
        Err(err) => {
            let facts = affecting_unknowns(cond, unknowns);
            if facts.is_empty() {
                Outcome::Unknown(facts, Some(err.to_string()))
            } else {
                Outcome::Unknown(facts, None)
            }
        }
    }
}

fn finding(
    rule: &Rule,
    run: RuleRun,
    facts: &Value,
    root: &str,
    unknowns: &[(String, Unknown)],
) -> Finding {
    let outcome = match (&rule.applies_when, run.applies) {
        (Some(cond), Some(result)) => match outcome(cond, result, unknowns) {
            Outcome::True => None,
            Outcome::False => Some((Status::NotApplicable, Vec::new(), None)),
            Outcome::Unknown(f, e) => Some((Status::Unknown, f, e)),
        },
        _ => None,
    };
    let (status, unknown_facts, error) = outcome.unwrap_or_else(|| match run.check {
        Some(result) => match self::outcome(&rule.check, result, unknowns) {
            Outcome::True => (Status::Pass, Vec::new(), None),
            Outcome::False => (Status::Fail, Vec::new(), None),
            Outcome::Unknown(f, e) => (Status::Unknown, f, e),
        },
        // Not run (the caller sets why).
        None => (Status::Unknown, Vec::new(), None),
    });
    let evidence = rule
        .evidence
        .iter()
        .map(|path| Evidence {
            fact: path.clone(),
            value: lookup(facts, root, path),
        })
        .collect();
    Finding {
        rule: rule.code.clone(),
        requirement: rule.requirement.clone(),
        severity: rule.severity,
        status,
        title: rule.title.clone(),
        problem: Some(rule.problem.clone()),
        remediation: rule.remediation.clone(),
        basis: rule.basis.clone(),
        not_applicable: (status == Status::NotApplicable)
            .then(|| rule.not_applicable.clone())
            .flatten(),
        unknown_facts,
        error,
        evidence,
        waiver: None,
    }
}

/// The unknown facts that a condition reads, or that lie under or above what it reads.
fn affecting_unknowns(cond: &Condition, unknowns: &[(String, Unknown)]) -> Vec<UnknownFact> {
    unknowns
        .iter()
        .filter(|(path, _)| {
            let general = generalize(path);
            cond.fact_paths.iter().any(|read| related(read, &general))
        })
        .map(|(path, why)| UnknownFact {
            fact: path.clone(),
            why: why.clone(),
        })
        .collect()
}

/// `a.b[3].c` → `a.b[].c`, the form condition paths are recorded in.
fn generalize(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push('[');
            }
            ']' => {
                in_index = false;
                out.push(']');
            }
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

fn related(a: &str, b: &str) -> bool {
    fn under(child: &str, parent: &str) -> bool {
        child.len() > parent.len()
            && child.starts_with(parent)
            && matches!(child.as_bytes()[parent.len()], b'.' | b'[')
    }
    a == b || under(a, b) || under(b, a)
}

/// Copies `facts` without unknown facts, recording each one's path and reason.
fn strip_unknowns(facts: &Value, path: &str, out: &mut Vec<(String, Unknown)>) -> Value {
    match facts {
        Value::Object(map) => {
            let mut clean = serde_json::Map::with_capacity(map.len());
            for (k, v) in map {
                let child = format!("{path}.{k}");
                if let Some(unknown) = as_unknown(v) {
                    out.push((child, unknown));
                } else {
                    clean.insert(k.clone(), strip_unknowns(v, &child, out));
                }
            }
            Value::Object(clean)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| strip_unknowns(v, &format!("{path}[{i}]"), out))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn as_unknown(v: &Value) -> Option<Unknown> {
    let obj = v.as_object()?;
    if obj.len() != 1 || !obj.contains_key("$unknown") {
        return None;
    }
    serde_json::from_value::<UnknownMarker>(v.clone())
        .ok()
        .map(|m| m.unknown)
}

/// The value at a dotted fact path (`host.a.b`), unknown markers included.
fn lookup(facts: &Value, root: &str, path: &str) -> Value {
    let rest = path
        .strip_prefix(root)
        .unwrap_or(path)
        .trim_start_matches('.');
    let mut v = facts;
    for seg in rest.split('.').filter(|s| !s.is_empty()) {
        if as_unknown(v).is_some() {
            return v.clone();
        }
        match v.get(seg) {
            Some(next) => v = next,
            None => return Value::Null,
        }
    }
    v.clone()
}

/// JSON to CEL: JSON has no integer/float distinction, CEL has; whole numbers become
/// `int` (or `uint` beyond `i64`), others `double`, so rules compare as written.
fn json_to_cel(v: &Value) -> CelValue {
    match v {
        Value::Null => CelValue::Null,
        Value::Bool(b) => CelValue::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                CelValue::Int(i)
            } else if let Some(u) = n.as_u64() {
                CelValue::UInt(u)
            } else {
                CelValue::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Value::String(s) => CelValue::String(Arc::new(s.clone())),
        Value::Array(items) => CelValue::List(Arc::new(items.iter().map(json_to_cel).collect())),
        Value::Object(map) => {
            let m: std::collections::HashMap<String, CelValue> = map
                .iter()
                .map(|(k, v)| (k.clone(), json_to_cel(v)))
                .collect();
            CelValue::Map(m.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_count_from_dates_at_vietnamese_midnight() {
        let now: Timestamp = "2026-05-01T17:00:00Z".parse().unwrap();
        assert_eq!(days_between("2026-04-30", now, false).unwrap(), 2.0);
        assert_eq!(
            days_between("2026-04-30T17:00:00Z", now, false).unwrap(),
            1.0
        );
        assert!(days_between("30/04/2026", now, false).is_err());
    }

    #[test]
    fn generalize_drops_indices() {
        assert_eq!(
            generalize("host.backups[12].newest_file"),
            "host.backups[].newest_file"
        );
    }

    #[test]
    fn related_paths() {
        assert!(related("host.a", "host.a.b"));
        assert!(related("host.a[].b", "host.a"));
        assert!(!related("host.ab", "host.a"));
    }

    #[test]
    fn strips_markers_and_records_paths() {
        let facts = serde_json::json!({
            "a": {"$unknown": {"reason": "needs_admin"}},
            "b": [{"c": 1}, {"c": {"$unknown": {"reason": "timeout", "detail": "5 s"}}}]
        });
        let mut out = Vec::new();
        let clean = strip_unknowns(&facts, "host", &mut out);
        assert_eq!(clean, serde_json::json!({"b": [{"c": 1}, {}]}));
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].0, "host.a");
        assert_eq!(out[1].0, "host.b[1].c");
    }
}
