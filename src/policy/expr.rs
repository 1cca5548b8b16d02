//! Rule conditions in the Common Expression Language (CEL).
//!
//! CEL was chosen over Rhai, Lua or a home-made language because it is small,
//! side-effect free and always terminates, has a published specification, and is
//! used for exactly this (policy conditions over documents) by Kubernetes and cloud
//! IAM; the `cel` crate is maintained and parses into an AST we can check.
//!
//! Conditions are compiled once at load. Every fact path, parameter and function
//! they name is checked here, so a misspelt fact is a load error. At run time a
//! missing (unknown) fact makes CEL raise an error; `||` and `&&` absorb errors that
//! cannot change the result, which gives the three-valued logic khien needs: a rule
//! is unknown only when the unknown facts matter.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use cel::common::ast::Expr;
use cel::{Env, Program};

use crate::facts::{FactShape, TargetKind};
use crate::i18n::Localized;

use super::ParamDecl;

/// Functions khien adds to CEL's standard library; see [`crate::eval`].
pub const CUSTOM_FUNCTIONS: &[(&str, &str)] = &[
    (
        "days_since",
        "days_since(ts): days from `ts` (an RFC 3339 timestamp, or a date YYYY-MM-DD taken at 00:00 in Vietnam) to the evaluation time (fractional)",
    ),
    (
        "days_until",
        "days_until(ts): days from the evaluation time to `ts` (timestamp or date YYYY-MM-DD; negative when past)",
    ),
    (
        "last_yearly",
        "last_yearly(md): the latest date YYYY-MM-DD on or before the evaluation day (Vietnam) with month-day `md` (MM-DD), for deadlines that recur every year",
    ),
];

/// The functions and methods of CEL's standard library (as implemented by the `cel`
/// crate) that rules may call.
const STANDARD_FUNCTIONS: &[&str] = &[
    "size",
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "int",
    "uint",
    "double",
    "string",
    "bytes",
    "bool",
    "timestamp",
    "duration",
    "type",
    "dyn",
    "max",
    "min",
    "getFullYear",
    "getMonth",
    "getDate",
    "getDayOfMonth",
    "getDayOfWeek",
    "getDayOfYear",
    "getHours",
    "getMinutes",
    "getSeconds",
    "getMilliseconds",
    "lowerAscii",
    "upperAscii",
    "trim",
    "split",
    "join",
    "replace",
    "indexOf",
    "lastIndexOf",
    "substring",
    "has",
    "exists",
    "all",
    "exists_one",
    "map",
    "filter",
];

/// The compile environment: CEL's standard library.
pub struct ExprEnv {
    env: Arc<Env>,
    /// Each target kind's fact schema, generated once: generating it per rule made
    /// loading a large policy slow (16,000 rules took minutes in a debug build).
    schemas: std::sync::Mutex<Vec<(TargetKind, Arc<serde_json::Value>)>>,
}

impl Default for ExprEnv {
    fn default() -> Self {
        // The string extension provides the string methods STANDARD_FUNCTIONS lists
        // (lowerAscii, trim, split...); without it they would pass the load-time check
        // and fail at run time.
        let mut env = Env::stdlib();
        env.add_extension(cel::extensions::strings)
            .expect("the string extension declares no standard function");
        ExprEnv {
            env: Arc::new(env),
            schemas: Default::default(),
        }
    }
}

/// A compiled condition and what it reads.
pub struct Condition {
    pub source: String,
    /// Shared, so an evaluation worker thread can own it (see `crate::eval`).
    pub program: Arc<Program>,
    /// Fact paths it reads, rooted at the target variable; list elements are `[]`,
    /// e.g. `host.backups[].newest_modified_at`.
    pub fact_paths: BTreeSet<String>,
}

impl std::fmt::Debug for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Condition")
            .field("source", &self.source)
            .finish()
    }
}

/// An error inside an expression, at a character offset of the expression text; the
/// message and help in both languages, chosen when the diagnostic is rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    /// 0-based character offset in the expression source.
    pub offset: usize,
    pub message: Localized,
    pub help: Option<Localized>,
}

/// A message in (Vietnamese, English).
fn loc(vi: String, en: String) -> Localized {
    Localized::new(vi, en)
}

/// A compiled CEL environment shared by a policy's evaluations.
#[derive(Clone)]
pub struct SharedEnv(pub Arc<Env>);

impl std::fmt::Debug for SharedEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedEnv")
    }
}

impl ExprEnv {
    pub fn cel(&self) -> SharedEnv {
        SharedEnv(self.env.clone())
    }

    /// Compiles `source` for rules over `kind`, checking every name it uses.
    pub fn compile(
        &self,
        source: &str,
        kind: TargetKind,
        params: &BTreeMap<String, ParamDecl>,
    ) -> Result<Condition, Vec<ExprError>> {
        // Before the parser: a very long or deep expression would overflow the
        // stack of the parser, of the checker below or of the evaluator.
        let (nesting, operators) = check_limits(source).map_err(|e| vec![e])?;
        // CEL's parser recurses deeply per bracket level (about 100 KB of stack per
        // level in a debug build): a deep condition is compiled and checked on a
        // thread with a large stack; the default policy's never need it.
        if nesting > 6 || operators > 64 {
            let compiled = std::thread::scope(|s| {
                std::thread::Builder::new()
                    .name("khien-compile".into())
                    .stack_size(COMPILE_STACK)
                    .spawn_scoped(s, || self.compile_here(source, kind, params))
                    .map(|h| h.join())
            });
            match compiled {
                Ok(Ok(result)) => return result,
                Ok(Err(panic)) => std::panic::resume_unwind(panic),
                // No thread: compile here.
                Err(_) => {}
            }
        }
        self.compile_here(source, kind, params)
    }

    /// `kind`'s fact schema, generated on first use.
    fn schema(&self, kind: TargetKind) -> Arc<serde_json::Value> {
        let mut cache = self
            .schemas
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, s)) = cache.iter().find(|(k, _)| *k == kind) {
            return s.clone();
        }
        let schema = Arc::new(kind.fact_schema());
        cache.push((kind, schema.clone()));
        schema
    }

    fn compile_here(
        &self,
        source: &str,
        kind: TargetKind,
        params: &BTreeMap<String, ParamDecl>,
    ) -> Result<Condition, Vec<ExprError>> {
        let program = self.env.compile(source).map_err(|errs| {
            errs.errors
                .iter()
                .map(|e| ExprError {
                    offset: char_offset_of(source, e.pos.0, e.pos.1),
                    // The parser's own words are English (the `cel` crate's).
                    message: loc(
                        format!("biểu thức không hợp lệ: {}", e.msg),
                        format!("invalid expression: {}", e.msg),
                    ),
                    help: Some(loc(
                        "xem định nghĩa ngôn ngữ CEL: https://cel.dev".into(),
                        "see the CEL language definition: https://cel.dev".into(),
                    )),
                })
                .collect::<Vec<_>>()
        })?;
        let schema = self.schema(kind);
        let mut checker = Checker {
            program: &program,
            root_name: kind.root_variable(),
            root: FactShape::new(&schema),
            params,
            errors: Vec::new(),
            paths: BTreeSet::new(),
        };
        let mut scope = Vec::new();
        checker.walk(
            &program.expression().expr,
            program.expression().id,
            &mut scope,
        );
        if !checker.errors.is_empty() {
            return Err(checker.errors);
        }
        let paths = checker.paths;
        Ok(Condition {
            source: source.to_string(),
            program: Arc::new(program),
            fact_paths: paths,
        })
    }
}

/// Longest condition accepted, in bytes (the default policy's longest is under 1 KB).
pub const MAX_EXPR_BYTES: usize = 16 * 1024;
/// Most operators (`+`, `&&`, `.`, `!`, `?`...) in one condition (the default
/// policy's busiest has under 60): each one is a level of the parse tree, and a
/// chain of 30,000 overflowed the stack.
pub const MAX_EXPR_OPERATORS: usize = 256;
/// Deepest nesting of brackets in one condition (the default policy's is 5).
pub const MAX_EXPR_NESTING: usize = 32;
/// Stack for compiling a deep condition.
const COMPILE_STACK: usize = 256 * 1024 * 1024;

/// Checks the source text's size, operator count and nesting against the limits,
/// without parsing it (string literals are skipped). The error points at the
/// character where a limit is passed.
/// Returns the deepest nesting and the operator count.
fn check_limits(source: &str) -> Result<(usize, usize), ExprError> {
    let too = |offset: usize, what: Localized| {
        ExprError {
        offset,
        message: loc(
            format!("điều kiện quá lớn: {}", what.vi),
            format!("condition too large: {}", what.en),
        ),
        help: Some(loc(
            "tách điều kiện thành nhiều quy tắc, hoặc dùng phép duyệt danh sách (all, exists)".into(),
            "split the condition into several rules, or use a comprehension (all, exists) over a list".into(),
        )),
    }
    };
    if source.len() > MAX_EXPR_BYTES {
        let offset = source
            .char_indices()
            .take_while(|(b, _)| *b < MAX_EXPR_BYTES)
            .count();
        return Err(too(
            offset,
            loc(
                format!("{} byte, quá {MAX_EXPR_BYTES}", source.len()),
                format!("{} bytes, more than {MAX_EXPR_BYTES}", source.len()),
            ),
        ));
    }
    let chars: Vec<char> = source.chars().collect();
    let mut depth = 0usize;
    let mut deepest = 0usize;
    let mut operators = 0usize;
    let mut quote: Option<char> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if let Some(q) = quote {
            if c == '\\' {
                i += 1;
            } else if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '(' | '[' | '{' => {
                depth += 1;
                deepest = deepest.max(depth);
                if depth > MAX_EXPR_NESTING {
                    return Err(too(
                        i,
                        loc(
                            format!("dấu ngoặc lồng nhau sâu quá {MAX_EXPR_NESTING} mức"),
                            format!("brackets nested deeper than {MAX_EXPR_NESTING}"),
                        ),
                    ));
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            '+' | '-' | '*' | '/' | '%' | '!' | '<' | '>' | '?' | '.' | '&' | '|' | '=' => {
                // Two-character operators count once.
                let next = chars.get(i + 1).copied();
                if matches!(
                    (c, next),
                    ('&', Some('&'))
                        | ('|', Some('|'))
                        | ('=', Some('='))
                        | ('!', Some('='))
                        | ('<', Some('='))
                        | ('>', Some('='))
                ) {
                    i += 1;
                }
                operators += 1;
                if operators > MAX_EXPR_OPERATORS {
                    return Err(too(
                        i,
                        loc(
                            format!("quá {MAX_EXPR_OPERATORS} toán tử"),
                            format!("more than {MAX_EXPR_OPERATORS} operators"),
                        ),
                    ));
                }
            }
            _ => {}
        }
        i += 1;
    }
    Ok((deepest, operators))
}

/// Converts CEL's (line, column) to a character offset; CEL counts lines from 1 and
/// columns from 0.
fn char_offset_of(source: &str, line: isize, col: isize) -> usize {
    let line = line.max(1) as usize;
    let col = col.max(0) as usize;
    let mut offset = 0;
    for (i, l) in source.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return offset + col.min(l.chars().count());
        }
        offset += l.chars().count();
    }
    offset
}

/// What a name in scope stands for.
#[derive(Clone)]
enum Binding<'s> {
    /// A list element or map value of known shape, at this fact path.
    Fact(FactShape<'s>, String),
    /// Anything (accumulators, elements of literal lists).
    Opaque,
}

struct Checker<'p, 's> {
    program: &'p Program,
    root_name: &'static str,
    root: FactShape<'s>,
    params: &'p BTreeMap<String, ParamDecl>,
    errors: Vec<ExprError>,
    paths: BTreeSet<String>,
}

impl<'s> Checker<'_, 's> {
    fn offset(&self, id: u64) -> usize {
        self.program
            .source_info()
            .offset_for(id)
            .map_or(0, |(start, _)| start as usize)
    }

    fn error(&mut self, id: u64, message: Localized, help: Option<Localized>) {
        let offset = self.offset(id);
        self.errors.push(ExprError {
            offset,
            message,
            help,
        });
    }

    /// Where `.segment` is written: the occurrence nearest before the end of the chain
    /// node `id` (the parser places a selection at its dot), pointing at the name.
    fn segment_offset(&self, id: u64, segment: &str) -> usize {
        let source: Vec<char> = self.program.source_info().source.chars().collect();
        let end = self.offset(id) + 1;
        let needle: Vec<char> = format!(".{segment}").chars().collect();
        (0..=end.min(source.len()).saturating_sub(1))
            .rev()
            .find(|&i| source[i..].starts_with(&needle))
            .map_or(self.offset(id), |i| i + 1)
    }

    /// Resolves an identifier-rooted selection chain, recording the fact path it
    /// reads. Returns the binding of the selected value, for comprehensions.
    fn resolve_chain(
        &mut self,
        id: u64,
        segments: &[&str],
        scope: &[(String, Binding<'s>)],
    ) -> Binding<'s> {
        let (first, rest) = segments.split_first().expect("chains are never empty");
        let (mut shape, mut path) = if let Some((_, binding)) =
            scope.iter().rev().find(|(n, _)| n == first)
        {
            match binding {
                Binding::Fact(shape, path) => (shape.clone(), path.clone()),
                Binding::Opaque => return Binding::Opaque,
            }
        } else if *first == self.root_name {
            (self.root.clone(), self.root_name.to_string())
        } else if *first == "params" {
            match rest.first() {
                Some(name) if self.params.contains_key(*name) => {}
                Some(name) => {
                    let known: Vec<_> = self.params.keys().map(String::as_str).collect();
                    self.error(
                            id,
                            loc(
                                format!("không có tham số `params.{name}`"),
                                format!("unknown parameter `params.{name}`"),
                            ),
                            Some(loc(
                                format!(
                                    "khai báo nó trong [params.{name}] của bộ quy tắc, hoặc dùng một trong: {}",
                                    known.join(", ")
                                ),
                                format!(
                                    "declare it under [params.{name}] in the policy, or use one of: {}",
                                    known.join(", ")
                                ),
                            )),
                        );
                }
                None => {}
            }
            return Binding::Opaque;
        } else if *first == "now" {
            return Binding::Opaque;
        } else {
            let other_roots: Vec<_> = TargetKind::all()
                .iter()
                .map(|k| k.root_variable())
                .filter(|r| *r != self.root_name)
                .collect();
            let root = self.root_name;
            let help = if other_roots.contains(first) {
                loc(
                    format!(
                        "đối tượng của quy tắc này là `{root}`: dữ kiện của nó nằm dưới `{root}.`"
                    ),
                    format!("this rule's target is `{root}`: its facts are under `{root}.`"),
                )
            } else {
                loc(
                    format!(
                        "biểu thức được dùng `{root}`, `params`, `now` và các tên do macro đặt"
                    ),
                    format!(
                        "expressions may use `{root}`, `params`, `now` and names bound by macros"
                    ),
                )
            };
            self.error(
                id,
                loc(
                    format!("không có biến `{first}`"),
                    format!("unknown variable `{first}`"),
                ),
                Some(help),
            );
            return Binding::Opaque;
        };
        for segment in rest {
            if shape.is_open() {
                self.paths.insert(path.clone());
                return Binding::Opaque;
            }
            match shape.field(segment) {
                Some(next) => {
                    shape = next;
                    path.push('.');
                    path.push_str(segment);
                }
                None => {
                    let names = shape.field_names();
                    let offset = self.segment_offset(id, segment);
                    self.errors.push(ExprError {
                        offset,
                        message: loc(
                            format!("`{path}` không có dữ kiện `{segment}`"),
                            format!("`{path}` has no fact `{segment}`"),
                        ),
                        help: Some(if names.is_empty() {
                            loc(
                                "xem mô hình dữ kiện bằng `khien rules facts`".into(),
                                "see `khien rules facts` for the fact model".into(),
                            )
                        } else {
                            loc(
                                format!("các dữ kiện dưới `{path}`: {}", names.join(", ")),
                                format!("facts under `{path}`: {}", names.join(", ")),
                            )
                        }),
                    });
                    return Binding::Opaque;
                }
            }
        }
        self.paths.insert(path.clone());
        Binding::Fact(shape, path)
    }

    fn walk(&mut self, expr: &Expr, id: u64, scope: &mut Vec<(String, Binding<'s>)>) {
        match expr {
            Expr::Ident(name) => {
                self.resolve_chain(id, &[name.as_str()], scope);
            }
            Expr::Select(select) => {
                if let Some(segments) = chain_segments(expr) {
                    self.resolve_chain(id, &segments, scope);
                } else {
                    self.walk(&select.operand.expr, select.operand.id, scope);
                }
            }
            Expr::Call(call) => {
                let name = call.func_name.as_str();
                let is_operator =
                    name.starts_with('_') || name.starts_with('@') || name.starts_with('!');
                if !is_operator
                    && !STANDARD_FUNCTIONS.contains(&name)
                    && !CUSTOM_FUNCTIONS.iter().any(|(n, _)| *n == name)
                {
                    let custom: Vec<_> = CUSTOM_FUNCTIONS.iter().map(|(n, _)| *n).collect();
                    self.error(
                        id,
                        loc(
                            format!("không có hàm `{name}`"),
                            format!("unknown function `{name}`"),
                        ),
                        Some(loc(
                            format!(
                                "dùng một hàm chuẩn của CEL hoặc một hàm của khien: {}",
                                custom.join(", ")
                            ),
                            format!(
                                "use a CEL standard function or one of khien's: {}",
                                custom.join(", ")
                            ),
                        )),
                    );
                }
                if let Some(target) = &call.target {
                    self.walk(&target.expr, target.id, scope);
                }
                for arg in &call.args {
                    self.walk(&arg.expr, arg.id, scope);
                }
            }
            Expr::Comprehension(comp) => {
                let range_binding = match chain_segments(&comp.iter_range.expr) {
                    Some(segments) => self.resolve_chain(comp.iter_range.id, &segments, scope),
                    None => {
                        self.walk(&comp.iter_range.expr, comp.iter_range.id, scope);
                        Binding::Opaque
                    }
                };
                let element = match range_binding {
                    Binding::Fact(shape, path) => match shape.element() {
                        Some(el) => Binding::Fact(el, format!("{path}[]")),
                        None => Binding::Opaque,
                    },
                    Binding::Opaque => Binding::Opaque,
                };
                self.walk(&comp.accu_init.expr, comp.accu_init.id, scope);
                let depth = scope.len();
                scope.push((comp.iter_var.clone(), element));
                if let Some(v2) = &comp.iter_var2 {
                    scope.push((v2.clone(), Binding::Opaque));
                }
                scope.push((comp.accu_var.clone(), Binding::Opaque));
                self.walk(&comp.loop_cond.expr, comp.loop_cond.id, scope);
                self.walk(&comp.loop_step.expr, comp.loop_step.id, scope);
                self.walk(&comp.result.expr, comp.result.id, scope);
                scope.truncate(depth);
            }
            Expr::List(list) => {
                for e in &list.elements {
                    self.walk(&e.expr, e.id, scope);
                }
            }
            Expr::Map(map) => {
                for entry in &map.entries {
                    if let cel::common::ast::EntryExpr::MapEntry(m) = &entry.expr {
                        self.walk(&m.key.expr, m.key.id, scope);
                        self.walk(&m.value.expr, m.value.id, scope);
                    }
                }
            }
            Expr::Struct(_) => {
                self.error(
                    id,
                    loc(
                        "quy tắc không hỗ trợ hằng thông điệp (message literal)".into(),
                        "message literals are not supported in rules".into(),
                    ),
                    Some(loc(
                        "dùng map `{...}` hoặc danh sách `[...]`".into(),
                        "use maps `{...}` or lists `[...]`".into(),
                    )),
                );
            }
            Expr::Literal(_) | Expr::Unspecified => {}
        }
    }
}

/// `a.b.c` as `["a", "b", "c"]`, presence tests (`has(a.b)`) included.
fn chain_segments(expr: &Expr) -> Option<Vec<&str>> {
    let mut segments = Vec::new();
    let mut e = expr;
    loop {
        match e {
            Expr::Ident(name) => {
                segments.push(name.as_str());
                segments.reverse();
                return Some(segments);
            }
            Expr::Select(select) => {
                segments.push(select.field.as_str());
                e = &select.operand.expr;
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Localized;
    use crate::policy::ParamValue;

    fn params() -> BTreeMap<String, ParamDecl> {
        let mut p = BTreeMap::new();
        p.insert(
            "max_signature_age_days".into(),
            ParamDecl {
                default: ParamValue::Integer(3),
                description: Localized::new("a", "b"),
                unit: None,
            },
        );
        p
    }

    fn compile(src: &str) -> Result<Condition, Vec<ExprError>> {
        ExprEnv::default().compile(src, TargetKind::Host, &params())
    }

    #[test]
    fn records_fact_paths_through_macros() {
        let c = compile(
            "host.antivirus.products.exists(p, p.active && days_since(p.signatures_updated_at) <= double(params.max_signature_age_days))",
        )
        .unwrap();
        assert!(c.fact_paths.contains("host.antivirus.products"));
        assert!(c.fact_paths.contains("host.antivirus.products[].active"));
        assert!(
            c.fact_paths
                .contains("host.antivirus.products[].signatures_updated_at")
        );
    }

    #[test]
    fn unknown_fact_is_an_error_at_its_position() {
        let errs = compile("host.antivirus.clamav.daemon_runing == true").unwrap_err();
        assert_eq!(errs.len(), 1);
        assert!(errs[0].message.en.contains("daemon_runing"), "{errs:?}");
        assert!(errs[0].message.vi.contains("không có dữ kiện"), "{errs:?}");
        assert!(errs[0].help.as_ref().unwrap().en.contains("daemon_running"));
        assert!(errs[0].help.as_ref().unwrap().vi.contains("daemon_running"));
    }

    #[test]
    fn unknown_fact_inside_a_macro_is_an_error() {
        let errs = compile("host.backups.all(b, b.newest_age < 3)").unwrap_err();
        assert!(errs[0].message.en.contains("newest_age"), "{errs:?}");
    }

    #[test]
    fn unknown_param_variable_and_function_are_errors() {
        assert!(
            compile("params.nope > 1").unwrap_err()[0]
                .message
                .en
                .contains("params.nope")
        );
        assert!(
            compile("web.tls == 1").unwrap_err()[0]
                .message
                .en
                .contains("`web`")
        );
        assert!(
            compile("frobnicate(host.disks)").unwrap_err()[0]
                .message
                .en
                .contains("frobnicate")
        );
    }

    #[test]
    fn every_allowed_string_method_runs() {
        let env = ExprEnv::default();
        let c = env
            .compile(
                "'AbC '.lowerAscii().trim() == 'abc' && 'a,b'.split(',').join('-') == 'a-b' && 'abc'.upperAscii().substring(1) == 'BC' && 'aXa'.replace('X', 'b') == 'aba' && 'abca'.lastIndexOf('a') == 3 && 'abc'.indexOf('c') == 2",
                TargetKind::Host,
                &params(),
            )
            .unwrap();
        let ctx = cel::Context::with_env(env.cel().0);
        assert_eq!(c.program.execute(&ctx), Ok(cel::Value::Bool(true)));
    }

    #[test]
    fn syntax_error_has_an_offset() {
        let errs = compile("host.disks.exists(d, d.free_bytes <)").unwrap_err();
        assert!(errs[0].message.en.starts_with("invalid expression"));
        assert!(errs[0].message.vi.starts_with("biểu thức không hợp lệ"));
        assert!(errs[0].offset > 10, "{errs:?}");
    }
}
