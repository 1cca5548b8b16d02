//! `khien init`: writes the unit's `khien.toml`, so that a school's IT teacher does
//! not have to write TOML by hand. With `--register`, the unit code is checked
//! against the Department's register (a mistyped code would make the school's
//! results count for no unit) and the unit's name taken from it.

use std::path::PathBuf;

use clap::Args;

use super::{BadInput, Cli};
use crate::config::MachineRole;
use crate::i18n::{Lang, tr};

#[derive(Args, Debug)]
pub struct InitArgs {
    /// The unit's code in the Department's register, e.g. THPT-BL-01.
    #[arg(long, value_name = "CODE")]
    pub unit_code: String,
    /// The unit's name (taken from the register when --register is given).
    #[arg(long, value_name = "NAME")]
    pub unit_name: Option<String>,
    /// The Department's register: the code must be in it.
    #[arg(long, value_name = "FILE")]
    pub register: Option<PathBuf>,
    /// What this machine is for: staff (teachers, office; the default), lab
    /// (classroom PCs) or server.
    #[arg(long, value_parser = parse_role, default_value = "staff")]
    pub role: MachineRole,
    /// Where to write it.
    #[arg(long, short, value_name = "FILE", default_value = crate::config::DEFAULT_FILE_NAME)]
    pub output: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
}

fn parse_role(s: &str) -> Result<MachineRole, String> {
    match s {
        "staff" => Ok(MachineRole::Staff),
        "lab" => Ok(MachineRole::Lab),
        "server" => Ok(MachineRole::Server),
        other => Err(format!("`{other}`: use staff, lab or server")),
    }
}

/// A TOML basic string (quotes and backslashes escaped).
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The file's text: the unit, the role, and commented examples of the rest.
pub fn render(code: &str, name: &str, role: MachineRole, lang: Lang) -> String {
    let intro = tr(
        lang,
        "# Cấu hình khien của đơn vị (tạo bằng `khien init`). Xem khien.toml.example\n# để biết các mục khác: sao lưu, thư mục có dữ liệu cá nhân, giới hạn.",
        "# The unit's khien configuration (written by `khien init`). See\n# khien.toml.example for the other sections: backups, personal-data folders, limits.",
    );
    let role_doc = tr(
        lang,
        "# Vai trò của máy: staff (máy giáo viên, văn phòng), lab (phòng máy học sinh), server",
        "# The machine's role: staff (teachers, office), lab (pupils' lab PCs), server",
    );
    let backup_doc = tr(
        lang,
        "# Khai báo bản sao lưu để khien kiểm tra độ mới (bỏ dấu # để dùng):",
        "# Declare backups so that khien checks they are recent (remove the # to use):",
    );
    format!(
        "{intro}\n\n[unit]\ncode = {}\nname = {}\n\n{role_doc}\n[machine]\nrole = \"{}\"\n\n{backup_doc}\n# [[backup]]\n# name = \"hoc-ba\"\n# path = 'D:\\SaoLuu\\HocBa'\n# pattern = \"*.zip\"\n# max_age_days = 7\n# protects = ['C:\\HocBa']\n",
        quoted(code),
        quoted(name),
        role.as_str()
    )
}

pub fn run(cli: &Cli, args: &InitArgs) -> Result<u8, BadInput> {
    let lang = cli.lang;
    let code = args.unit_code.trim();
    if code.is_empty() {
        return Err(BadInput::Message(
            tr(
                lang,
                "--unit-code trống: ghi mã đơn vị theo sổ đăng ký của Sở, ví dụ THPT-BL-01",
                "--unit-code is empty: give the unit's code from the Department's register, e.g. THPT-BL-01",
            )
            .into(),
        ));
    }
    let mut name = args.unit_name.clone().unwrap_or_default();
    if let Some(path) = &args.register {
        let register = crate::register::load_file(path)?;
        match register.unit(code) {
            Some(unit) => {
                if name.is_empty() {
                    name = unit.name.clone();
                }
            }
            None => {
                let mut near: Vec<&str> = register
                    .units
                    .iter()
                    .map(|u| u.code.as_str())
                    .filter(|c| {
                        c.eq_ignore_ascii_case(code)
                            || c.split('-').next() == code.split('-').next()
                    })
                    .collect();
                near.truncate(8);
                return Err(BadInput::Message(match lang {
                    Lang::Vi => format!(
                        "{}: không có đơn vị mã `{code}`. Kiểm tra lại mã (phân biệt chữ hoa, chữ thường){}",
                        path.display(),
                        if near.is_empty() {
                            String::new()
                        } else {
                            format!("; mã gần giống: {}", near.join(", "))
                        }
                    ),
                    Lang::En => format!(
                        "{}: no unit with code `{code}`. Check the code (case-sensitive){}",
                        path.display(),
                        if near.is_empty() {
                            String::new()
                        } else {
                            format!("; similar codes: {}", near.join(", "))
                        }
                    ),
                }));
            }
        }
    }
    if args.output.exists() && !args.force {
        return Err(BadInput::Message(match lang {
            Lang::Vi => format!(
                "{} đã có: không ghi đè. Thêm --force để thay bằng tệp mới.",
                args.output.display()
            ),
            Lang::En => format!(
                "{} exists: not overwritten. Add --force to replace it.",
                args.output.display()
            ),
        }));
    }
    let text = render(code, &name, args.role, lang);
    std::fs::write(&args.output, text)
        .map_err(|e| BadInput::Message(format!("{}: {e}", args.output.display())))?;
    println!("{} {}", tr(lang, "Đã ghi", "Wrote"), args.output.display());
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_file_is_a_valid_configuration() {
        let text = render(
            "THPT-BL-01",
            "Trường \"THPT\" Bảo Lộc",
            MachineRole::Lab,
            Lang::Vi,
        );
        let policy =
            crate::policy::load_sources(crate::policy::embedded_sources(), "embedded").unwrap();
        let c = crate::config::LocalConfig::parse(
            crate::policy::SourceFile::new("khien.toml", text.as_str()),
            &policy,
        )
        .unwrap();
        let unit = c.unit.unwrap();
        assert_eq!(unit.code, "THPT-BL-01");
        assert_eq!(unit.name, "Trường \"THPT\" Bảo Lộc");
        assert_eq!(c.role, MachineRole::Lab);
    }
}
