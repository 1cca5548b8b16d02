//! Navigation of a fact model's JSON Schema, so that policies can be checked
//! against the facts that really exist before anything is scanned.

use serde_json::Value;

use crate::i18n::Localized;

/// A position inside a fact model's JSON Schema.
#[derive(Clone, Debug)]
pub struct FactShape<'a> {
    root: &'a Value,
    node: &'a Value,
}

impl<'a> FactShape<'a> {
    pub fn new(schema: &'a Value) -> Self {
        FactShape {
            root: schema,
            node: schema,
        }
    }

    fn at(&self, node: &'a Value) -> Self {
        FactShape {
            root: self.root,
            node,
        }
    }

    /// Follows `$ref`s and the alternatives of `anyOf`/`oneOf`/`allOf`, giving
    /// every concrete schema this position may hold.
    fn alternatives(&self) -> Vec<&'a Value> {
        let mut out = Vec::new();
        let mut stack = vec![self.node];
        let mut guard = 0;
        while let Some(node) = stack.pop() {
            guard += 1;
            if guard > 256 {
                break;
            }
            if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
                if let Some(target) = resolve_ref(self.root, reference) {
                    stack.push(target);
                }
                continue;
            }
            let mut branched = false;
            for key in ["anyOf", "oneOf", "allOf"] {
                if let Some(list) = node.get(key).and_then(Value::as_array) {
                    stack.extend(list.iter());
                    branched = true;
                }
            }
            if !branched {
                out.push(node);
            }
        }
        out
    }

    /// The shape of field `name`, if any alternative has it. The `$unknown`
    /// marker of unknown facts is not a field rules may name.
    pub fn field(&self, name: &str) -> Option<FactShape<'a>> {
        if name.starts_with('$') {
            return None;
        }
        for alt in self.alternatives() {
            if let Some(prop) = alt.get("properties").and_then(|p| p.get(name)) {
                return Some(self.at(prop));
            }
            match alt.get("additionalProperties") {
                Some(Value::Bool(false)) | None => {}
                Some(Value::Bool(true)) => return Some(self.at(&ANY)),
                Some(schema) => return Some(self.at(schema)),
            }
        }
        None
    }

    /// The shape of the elements when this position is a list (or the values when it is a map).
    pub fn element(&self) -> Option<FactShape<'a>> {
        for alt in self.alternatives() {
            if let Some(items) = alt.get("items") {
                return Some(self.at(items));
            }
            if let Some(Value::Object(_)) = alt.get("additionalProperties") {
                return Some(self.at(&alt["additionalProperties"]));
            }
        }
        None
    }

    /// True when nothing is known of the shape (free-form JSON): any field may exist below.
    pub fn is_open(&self) -> bool {
        self.alternatives().iter().any(|alt| {
            alt.as_object()
                .is_some_and(|o| o.is_empty() || (o.len() == 1 && o.contains_key("description")))
                || alt.as_bool() == Some(true)
        })
    }

    /// The names of the fields at this position, for "did you mean" hints.
    pub fn field_names(&self) -> Vec<&'a str> {
        let mut names: Vec<&str> = self
            .alternatives()
            .iter()
            .filter_map(|alt| alt.get("properties").and_then(Value::as_object))
            .flat_map(|props| props.keys().map(String::as_str))
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }
}

impl<'a> FactShape<'a> {
    /// Every fact path below this position with its description in both languages,
    /// for `khien rules facts` and the rule catalogue. List elements are written `[]`,
    /// as rules iterate them with macros. The English text is the fact type's doc
    /// comment; the Vietnamese one comes from the glossary (`descriptions.vi.toml`),
    /// falling back to the English one for a path it lacks (the registry test
    /// `every_fact_has_a_vietnamese_description` keeps that from shipping).
    pub fn describe(&self, prefix: &str) -> Vec<(String, Localized)> {
        let mut out = Vec::new();
        self.describe_into(prefix, &mut out, 0);
        out
    }

    fn description(&self) -> String {
        // The generic texts of the Fact wrapper and the unknown marker say nothing
        // about this fact: skip them.
        let specific = |d: &&str| !d.starts_with("A fact:") && !d.contains("unknown fact");
        let own = self
            .node
            .get("description")
            .and_then(Value::as_str)
            .filter(specific);
        own.or_else(|| {
            self.alternatives()
                .iter()
                .filter(|a| a.pointer("/properties/$unknown").is_none())
                .find_map(|a| {
                    a.get("description")
                        .and_then(Value::as_str)
                        .filter(specific)
                })
        })
        .unwrap_or("")
        // The first paragraph, whole: a first line alone is often cut mid-sentence.
        .split("\n\n")
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
    }

    fn describe_into(&self, prefix: &str, out: &mut Vec<(String, Localized)>, depth: usize) {
        if depth > 12 {
            return;
        }
        for name in self.field_names() {
            if let Some(child) = self.field(name) {
                let path = format!("{prefix}.{name}");
                let en = child.description();
                let vi = super::descriptions::vi(&path).map_or_else(|| en.clone(), str::to_owned);
                out.push((path.clone(), Localized { vi, en }));
                child.describe_into(&path, out, depth + 1);
                if let Some(el) = child.element() {
                    el.describe_into(&format!("{path}[]"), out, depth + 1);
                }
            }
        }
    }
}

static ANY: Value = Value::Bool(true);

fn resolve_ref<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    root.pointer(pointer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_refs_and_fact_alternatives() {
        let schema = crate::facts::TargetKind::Host.fact_schema();
        let shape = FactShape::new(&schema);
        let av = shape.field("antivirus").expect("antivirus exists");
        let products = av.field("products").expect("products exists");
        let product = products.element().expect("products is a list");
        assert!(product.field("active").is_some());
        assert!(product.field("no_such_fact").is_none());
        assert!(shape.field("$unknown").is_none());
        assert!(
            shape
                .field("antivirus")
                .unwrap()
                .field_names()
                .contains(&"clamav")
        );
    }
}
