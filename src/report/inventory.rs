//! The units' machine counts: the denominator of coverage (machines scanned ÷ machines
//! in the register). Until the register branch provides them, they come from a CSV
//! file given with `--inventory`: `unit_code,unit_name,commune,computers` with a header.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::i18n::{Lang, tr};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InventoryUnit {
    pub unit_code: String,
    pub unit_name: String,
    pub commune: String,
    pub computers: u64,
}

/// Units by code.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inventory {
    pub units: BTreeMap<String, InventoryUnit>,
}

impl Inventory {
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
                        "cần các cột unit_code,unit_name,commune,computers (computers là số nguyên không âm)",
                        "expected columns unit_code,unit_name,commune,computers (computers a non-negative integer)"
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
        self.units.get(unit_code).map(|u| u.computers)
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
    }
}
