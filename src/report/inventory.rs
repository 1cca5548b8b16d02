//! The units' machine counts: the denominator of coverage (machines scanned ÷ machines
//! in the register), and each unit's commune.
//!
//! They come from the Department's register (`--register`, the units' `computers`),
//! and, for units the register does not hold yet, from a CSV file given with
//! `--inventory`: `unit_code,unit_name,commune,computers` with a header. A CSV row
//! overrides the register's entry for the same unit.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::i18n::{Lang, tr};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InventoryUnit {
    pub unit_code: String,
    pub unit_name: String,
    pub commune: String,
    /// Machines the unit has; `None` when the register does not say (no denominator).
    pub computers: Option<u64>,
    /// The public URLs of the unit's systems that are not retired (the denominator of
    /// website indicators); empty from a CSV row.
    #[serde(skip)]
    pub urls: std::collections::BTreeSet<String>,
    /// The unit's systems that are not retired (the denominator of system indicators).
    #[serde(skip)]
    pub systems: u64,
    /// Incidents in the register: (detected, reported to the Department), for K18.
    #[serde(skip)]
    pub incidents: Vec<(jiff::Timestamp, Option<jiff::Timestamp>)>,
}

/// Units by code.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inventory {
    pub units: BTreeMap<String, InventoryUnit>,
    /// True when the units came from the register (`--register`): it then also gives
    /// the denominators of website, system and unit indicators. A CSV alone gives
    /// machine counts only.
    pub from_register: bool,
}

/// A URL as the register and the website scan both write it, for matching them:
/// lower case, without a trailing slash.
pub fn normalize_url(u: &str) -> String {
    u.trim().trim_end_matches('/').to_lowercase()
}

impl Inventory {
    /// The register's units, with their communes and machine counts.
    pub fn from_register(register: &crate::register::Register) -> Inventory {
        let units = register
            .units
            .iter()
            .map(|u| {
                let systems = register
                    .systems
                    .iter()
                    .filter(|s| s.unit == u.code && s.status != "retired");
                let unit = InventoryUnit {
                    unit_code: u.code.clone(),
                    unit_name: u.name.clone(),
                    commune: u.commune.clone(),
                    computers: u.computers,
                    urls: systems
                        .clone()
                        .flat_map(|s| s.urls.iter().map(|x| normalize_url(x)))
                        .collect(),
                    systems: systems.count() as u64,
                    incidents: u
                        .incidents
                        .iter()
                        .map(|i| (i.detected_at, i.reported_to_department_at))
                        .collect(),
                };
                (u.code.clone(), unit)
            })
            .collect();
        Inventory {
            units,
            from_register: true,
        }
    }

    /// Adds `other`'s units. A CSV row replaces the machine count, name and commune of
    /// a register unit with the same code and keeps what only the register knows.
    pub fn extend(&mut self, other: Inventory) {
        for (code, mut unit) in other.units {
            if let Some(old) = self.units.remove(&code) {
                unit.urls = old.urls;
                unit.systems = old.systems;
                unit.incidents = old.incidents;
            }
            self.units.insert(code, unit);
        }
        self.from_register |= other.from_register;
    }

    /// True when a register or inventory was given: results of other units are then
    /// "unregistered" and left out of every figure.
    pub fn is_known(&self) -> bool {
        !self.units.is_empty()
    }

    /// True when results of `unit_code` count: the unit is in the register (or no
    /// register was given at all). A result without a unit never counts.
    pub fn is_registered(&self, unit_code: &str) -> bool {
        !unit_code.is_empty() && (!self.is_known() || self.units.contains_key(unit_code))
    }

    /// The registered code nearest to an unknown one (edit distance at most 2, case
    /// ignored), for "did you mean ...?".
    pub fn nearest_code(&self, code: &str) -> Option<&str> {
        let code = code.to_uppercase();
        self.units
            .keys()
            .map(|k| (strsim::levenshtein(&code, &k.to_uppercase()), k))
            .filter(|(d, _)| *d <= 2)
            .min()
            .map(|(_, k)| k.as_str())
    }

    /// Reads the CSV. Errors name the file, the line and the field.
    pub fn load(path: &Path, lang: Lang) -> Result<Inventory, String> {
        let bytes = crate::io::read_bounded_bytes(path, crate::io::MAX_INVENTORY_BYTES)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(bytes.as_slice());
        let mut units = BTreeMap::new();
        for row in reader.deserialize::<InventoryUnit>() {
            let unit = row.map_err(|e| {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                format!(
                    "{}:{line}: {e}\n{}",
                    path.display(),
                    tr(
                        lang,
                        "cần các cột unit_code,unit_name,commune,computers (computers là số nguyên không âm, hoặc để trống nếu chưa biết)",
                        "expected columns unit_code,unit_name,commune,computers (computers a non-negative integer, or empty when not known)"
                    )
                )
            })?;
            if unit.unit_code.is_empty() {
                return Err(format!(
                    "{}: {}",
                    path.display(),
                    tr(lang, "unit_code trống", "empty unit_code")
                ));
            }
            units.insert(unit.unit_code.clone(), unit);
        }
        Ok(Inventory {
            units,
            from_register: false,
        })
    }

    pub fn commune_of(&self, unit_code: &str) -> Option<&str> {
        self.units.get(unit_code).map(|u| u.commune.as_str())
    }

    pub fn computers_of(&self, unit_code: &str) -> Option<u64> {
        self.units.get(unit_code).and_then(|u| u.computers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_units_and_names_the_bad_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("inv.csv");
        std::fs::write(
            &p,
            "unit_code,unit_name,commune,computers\nU1,Trường A,Xã Đạ Huoai,40\nU2,Trường B,Phường Bảo Lộc,x\n",
        )
        .unwrap();
        let err = Inventory::load(&p, Lang::En).unwrap_err();
        assert!(err.contains("inv.csv:3"), "{err}");
        std::fs::write(
            &p,
            "unit_code,unit_name,commune,computers\nU1,Trường A,Xã Đạ Huoai,40\n",
        )
        .unwrap();
        let inv = Inventory::load(&p, Lang::En).unwrap();
        assert_eq!(inv.computers_of("U1"), Some(40));
        assert_eq!(inv.commune_of("U1"), Some("Xã Đạ Huoai"));
        // An empty count is "not known", not zero.
        std::fs::write(
            &p,
            "unit_code,unit_name,commune,computers\nU1,Trường A,Xã Đạ Huoai,\n",
        )
        .unwrap();
        let inv = Inventory::load(&p, Lang::En).unwrap();
        assert_eq!(inv.computers_of("U1"), None);
        assert_eq!(inv.commune_of("U1"), Some("Xã Đạ Huoai"));
    }

    #[test]
    fn the_register_gives_the_units_and_a_csv_row_overrides_it() {
        let register = crate::register::load_file(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/register/lam-dong.toml"),
        )
        .unwrap();
        let mut inv = Inventory::from_register(&register);
        assert_eq!(inv.units.len(), register.units.len());
        assert_eq!(inv.computers_of("SO-GDDT"), Some(142));
        assert_eq!(
            inv.commune_of("SO-GDDT"),
            Some("Phường Xuân Hương – Đà Lạt")
        );
        let mut csv = Inventory::default();
        csv.units.insert(
            "SO-GDDT".into(),
            InventoryUnit {
                unit_code: "SO-GDDT".into(),
                unit_name: "Sở".into(),
                commune: "Phường Xuân Hương – Đà Lạt".into(),
                computers: Some(150),
                urls: Default::default(),
                systems: 0,
                incidents: Vec::new(),
            },
        );
        let systems = inv.units["SO-GDDT"].systems;
        inv.extend(csv);
        assert_eq!(inv.computers_of("SO-GDDT"), Some(150));
        // What only the register knows is kept.
        assert_eq!(inv.units["SO-GDDT"].systems, systems);
        assert!(inv.from_register);
    }

    #[test]
    fn a_mistyped_code_finds_the_registered_one() {
        let register = crate::register::load_file(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/results/register.toml"),
        )
        .unwrap();
        let inv = Inventory::from_register(&register);
        assert_eq!(inv.nearest_code("LD-TH-0O4"), Some("LD-TH-004"));
        assert_eq!(inv.nearest_code("ld-th-004"), Some("LD-TH-004"));
        assert_eq!(inv.nearest_code("XYZ-999-ABC"), None);
        assert!(!inv.is_registered("LD-TH-0O4"));
        assert!(!inv.is_registered(""));
        assert!(inv.is_registered("LD-TH-004"));
        assert_eq!(inv.units["LD-TH-004"].systems, 1);
        assert_eq!(
            inv.units["LD-TH-004"].urls.iter().collect::<Vec<_>>(),
            vec!["https://ldth004.lamdong.example"]
        );
    }
}
