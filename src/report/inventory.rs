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
}

/// Units by code.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inventory {
    pub units: BTreeMap<String, InventoryUnit>,
}

impl Inventory {
    /// The register's units, with their communes and machine counts.
    pub fn from_register(register: &crate::register::Register) -> Inventory {
        let units = register
            .units
            .iter()
            .map(|u| {
                let unit = InventoryUnit {
                    unit_code: u.code.clone(),
                    unit_name: u.name.clone(),
                    commune: u.commune.clone(),
                    computers: u.computers,
                };
                (u.code.clone(), unit)
            })
            .collect();
        Inventory { units }
    }

    /// Adds `other`'s units, replacing those with the same code.
    pub fn extend(&mut self, other: Inventory) {
        self.units.extend(other.units);
    }

    /// Reads the CSV. Errors name the file, the line and the field.
    pub fn load(path: &Path, lang: Lang) -> Result<Inventory, String> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_path(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
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
        Ok(Inventory { units })
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
            Lang::En,
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
            },
        );
        inv.extend(csv);
        assert_eq!(inv.computers_of("SO-GDDT"), Some(150));
    }
}
