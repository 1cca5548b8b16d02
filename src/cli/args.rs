//! The command line in the user's language: `--help` and argument errors are
//! Vietnamese by default, English with `--lang en` (or `KHIEN_LANG=en`).
//!
//! clap's texts come from the English doc comments of the argument structs. For
//! Vietnamese, the built [`clap::Command`] is walked and every subcommand's about and
//! every argument's help replaced from [`VI`], a table keyed by the command path and
//! the argument's id (a test checks every visible one has an entry). The headings
//! ("Cách dùng", "Lệnh", "Tùy chọn") and the default, allowed and environment values
//! are written by us, since clap's are English words; argument errors are rendered
//! from clap's error kind and context, not from its English message. `--lang` is
//! read from the raw arguments before clap parses them, so that its own help and
//! errors can be localized.

use std::ffi::OsString;
use std::io::Write as _;
use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, Command, CommandFactory, FromArgMatches};

use super::{Cli, EXIT_BAD_INPUT};
use crate::i18n::Lang;

/// The language asked for on the command line (`--lang X`, `--lang=X`, before
/// `--`), else by `KHIEN_LANG`, else Vietnamese. A value that is not a language
/// leaves Vietnamese, and clap reports it.
pub fn lang_from_args(args: &[OsString]) -> Lang {
    let mut iter = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(a) = iter.next() {
        if a == "--" {
            break;
        }
        let value = if a == "--lang" {
            iter.next().map(|v| v.into_owned())
        } else {
            a.strip_prefix("--lang=").map(str::to_string)
        };
        if let Some(v) = value {
            return v.parse().unwrap_or_default();
        }
    }
    std::env::var("KHIEN_LANG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_default()
}

/// The command line's definition in `lang`.
pub fn command(lang: Lang) -> Command {
    let mut cmd = Cli::command();
    // Built first, so the help and version flags, the `help` subcommand and the
    // global arguments copied into subcommands exist and are translated too.
    cmd.build();
    if lang == Lang::Vi {
        cmd = localize(cmd, "");
    }
    cmd
}

/// Parses the process's arguments. Help, version and argument errors are printed
/// here, in the user's language, and give the exit code to end with.
pub fn parse(args: Vec<OsString>) -> Result<Cli, ExitCode> {
    let lang = lang_from_args(&args);
    let parsed = command(lang)
        .try_get_matches_from(args)
        .and_then(|m| Cli::from_arg_matches(&m));
    let e = match parsed {
        Ok(cli) => return Ok(cli),
        Err(e) => e,
    };
    let text = render_error(&e, lang);
    let written = if e.use_stderr() {
        write!(anstream::stderr(), "{text}")
    } else {
        write!(anstream::stdout(), "{text}")
    };
    // A closed pipe (`khien --help | head`) is not an error of ours.
    let _ = written;
    Err(match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => ExitCode::SUCCESS,
        _ => ExitCode::from(EXIT_BAD_INPUT),
    })
}

/// What clap would print for `e` (help, version or an error), in `lang`.
pub fn render_error(e: &clap::Error, lang: Lang) -> String {
    let rendered = e.render().ansi().to_string();
    if lang == Lang::En {
        return rendered;
    }
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => vi_usage(&rendered),
        _ => vi_error(e).unwrap_or_else(|| vi_usage(&rendered)),
    }
}

/// clap's fixed English words in a usage line.
fn vi_usage(text: &str) -> String {
    text.replace("Usage:", "Cách dùng:")
        .replace("[OPTIONS]", "[TÙY_CHỌN]")
}

fn context_str(e: &clap::Error, kind: ContextKind) -> Option<String> {
    match e.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(v) if !v.is_empty() => Some(v.join(", ")),
        ContextValue::StyledStr(s) => Some(s.to_string()),
        ContextValue::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn context_list(e: &clap::Error, kind: ContextKind) -> Vec<String> {
    match e.get(kind) {
        Some(ContextValue::String(s)) => vec![s.clone()],
        Some(ContextValue::Strings(v)) => v.clone(),
        _ => Vec::new(),
    }
}

/// An argument error in Vietnamese, from its kind and context; `None` for a kind
/// without a translation here (clap's English is shown, with our usage words).
fn vi_error(e: &clap::Error) -> Option<String> {
    let arg = || context_str(e, ContextKind::InvalidArg).unwrap_or_default();
    let value = || context_str(e, ContextKind::InvalidValue).unwrap_or_default();
    let mut lines = Vec::new();
    let first = match e.kind() {
        ErrorKind::UnknownArgument => format!("không có tùy chọn '{}' ở đây", arg()),
        ErrorKind::InvalidSubcommand => format!(
            "không có lệnh '{}'",
            context_str(e, ContextKind::InvalidSubcommand).unwrap_or_default()
        ),
        ErrorKind::InvalidValue => {
            let valid = context_list(e, ContextKind::ValidValue);
            if !valid.is_empty() {
                lines.push(format!("các giá trị được phép: {}", valid.join(", ")));
            }
            if value().is_empty() {
                format!("'{}' cần một giá trị nhưng không có", arg())
            } else {
                format!("giá trị '{}' không hợp lệ cho '{}'", value(), arg())
            }
        }
        ErrorKind::ValueValidation => {
            let why = std::error::Error::source(e)
                .map(|s| format!(": {s}"))
                .unwrap_or_default();
            format!("giá trị '{}' không hợp lệ cho '{}'{why}", value(), arg())
        }
        ErrorKind::NoEquals => format!("'{}' cần dấu '=' trước giá trị", arg()),
        ErrorKind::TooManyValues => {
            format!("giá trị thừa '{}' cho '{}'", value(), arg())
        }
        ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            format!("'{}' không đủ giá trị", arg())
        }
        ErrorKind::ArgumentConflict => match context_str(e, ContextKind::PriorArg) {
            Some(prior) => format!("không dùng được '{}' cùng với '{prior}'", arg()),
            None => format!("'{}' không dùng được ở đây", arg()),
        },
        ErrorKind::MissingRequiredArgument => {
            format!(
                "thiếu tham số bắt buộc: {}",
                context_list(e, ContextKind::InvalidArg).join(", ")
            )
        }
        ErrorKind::MissingSubcommand => {
            let valid = context_list(e, ContextKind::ValidSubcommand);
            if !valid.is_empty() {
                lines.push(format!("các lệnh: {}", valid.join(", ")));
            }
            format!(
                "'{}' cần một lệnh con",
                context_str(e, ContextKind::InvalidSubcommand).unwrap_or_default()
            )
        }
        ErrorKind::InvalidUtf8 => "tham số không phải văn bản UTF-8 hợp lệ".to_string(),
        _ => return None,
    };
    for kind in [ContextKind::SuggestedArg, ContextKind::SuggestedSubcommand] {
        for s in context_list(e, kind) {
            lines.push(format!("gợi ý: có phải ý bạn là '{s}'?"));
        }
    }
    for s in context_list(e, ContextKind::SuggestedValue) {
        lines.push(format!("gợi ý: có phải ý bạn là '{s}'?"));
    }
    if matches!(
        e.get(ContextKind::TrailingArg),
        Some(ContextValue::Bool(true))
    ) {
        let a = arg();
        lines.push(format!(
            "gợi ý: để truyền '{a}' như một giá trị, viết '-- {a}'"
        ));
    }
    let mut out = format!("lỗi: {first}\n");
    if !lines.is_empty() {
        out.push('\n');
        for l in lines {
            out.push_str(&format!("  {l}\n"));
        }
    }
    if let Some(usage) = context_str(e, ContextKind::Usage) {
        out.push('\n');
        out.push_str(&vi_usage(usage.trim()));
        out.push('\n');
    }
    out.push_str("\nXem thêm: '--help'.\n");
    Some(out)
}

/// Vietnamese texts of the command line: (command path, argument id or "" for the
/// command's own about, text). An argument without an entry of its own takes its
/// parent command's (the global `--config` of `serve`), then the `*` entry (arguments
/// shared by many commands, such as `--format`).
pub const VI: &[(&str, &str, &str)] = &[
    // The program and its global arguments.
    (
        "",
        "",
        "khien (khiên): rà soát tuân thủ an toàn thông tin cho các trường học",
    ),
    (
        "*",
        "lang",
        "Ngôn ngữ của thông báo và báo cáo: vi (mặc định) hoặc en",
    ),
    (
        "*",
        "message_format",
        "Cách hiện lỗi trong tệp đầu vào: cho người đọc (kèm dòng bị lỗi) hoặc JSON trên đầu ra lỗi, cho công cụ",
    ),
    (
        "*",
        "policy",
        "Tệp hoặc thư mục bộ quy tắc dùng thay cho bộ quy tắc mặc định có sẵn",
    ),
    ("*", "help", "In hướng dẫn"),
    ("*", "version", "In phiên bản"),
    ("help", "", "In hướng dẫn này hoặc hướng dẫn của lệnh con"),
    // Arguments shared by the scans (`OutputArgs`) and other commands.
    ("*", "format", "Định dạng kết quả"),
    ("*", "output", "Ghi kết quả vào TỆP thay vì đầu ra chuẩn"),
    (
        "*",
        "fail_on",
        "Thoát với mã 1 khi có phát hiện không đạt từ mức nghiêm trọng này trở lên",
    ),
    (
        "*",
        "waivers",
        "Tệp miễn trừ: phát hiện không đạt được miễn trừ hiện là \"được miễn trừ\", không bị ẩn",
    ),
    (
        "*",
        "config",
        "Cấu hình của đơn vị (khien.toml) để ghi đè tham số",
    ),
    // scan
    (
        "scan",
        "",
        "Rà soát một đối tượng và đánh giá theo bộ quy tắc",
    ),
    ("scan host", "", "Rà soát máy tính này"),
    (
        "scan host",
        "config",
        "Cấu hình của đơn vị (đơn vị, sao lưu, ghi đè tham số). Mặc định: khien.toml trong thư mục hiện tại, rồi bên cạnh tệp chạy",
    ),
    (
        "scan host",
        "facts_out",
        "Lưu thêm các dữ kiện đã thu thập vào TỆP (để dùng với `khien eval`)",
    ),
    (
        "scan host",
        "raw_out",
        "Windows: lưu thêm những gì đã đọc (hàng WMI, giá trị registry) vào TỆP, theo dạng dữ liệu kiểm thử; tệp có tên các tài khoản của máy, hãy xem trước khi chia sẻ",
    ),
    (
        "scan host",
        "send",
        "Gửi kết quả lên máy chủ của Sở (mục [send] trong khien.toml); khi không kết nối được, kết quả chờ trong hộp thư đi và được gửi ở lần chạy sau",
    ),
    (
        "scan host",
        "outbox",
        "Thư mục hộp thư đi cho --send (mặc định: outbox trong [send], nếu không có thì khien-outbox bên cạnh tệp chạy)",
    ),
    (
        "scan register",
        "",
        "Kiểm tra sổ đăng ký đơn vị và hệ thống thông tin của Sở",
    ),
    (
        "scan register",
        "file",
        "Sổ đăng ký (TOML; xem docs/register.md)",
    ),
    (
        "scan register",
        "at",
        "Thời điểm đánh giá (RFC 3339, ví dụ 2026-11-23T08:00:00+07:00): thời hạn, tuổi và hạn của xác nhận, miễn trừ tính đến thời điểm này. Mặc định: bây giờ",
    ),
    (
        "scan web",
        "",
        "Rà soát trang web qua mạng (TLS, chuyển hướng, tiêu đề HTTP, tệp lộ ra ngoài, CMS)",
    ),
    (
        "scan web",
        "targets",
        "Các trang: URL hoặc tên máy, hoặc tệp liệt kê chúng (mỗi dòng một trang, hoặc CSV `mã đơn vị,tên đơn vị,URL`)",
    ),
    (
        "scan web",
        "register",
        "Rà soát mọi URL trong sổ đăng ký của Sở (và gắn mỗi trang với đơn vị, hệ thống của nó; trang không thuộc hệ thống nào, hoặc hệ thống đang vận hành có URL không phản hồi, là một phát hiện)",
    ),
    (
        "scan web",
        "resolve",
        "Rà soát TÊN_MÁY tại địa chỉ IP thay vì tra cứu DNS (dùng được nhiều lần), như --resolve của curl",
    ),
    (
        "*",
        "ca_file",
        "Tin cậy thêm các chứng thư CA trong tệp PEM này",
    ),
    ("scan web", "concurrency", "Số trang rà soát cùng lúc"),
    (
        "scan web",
        "per_ip",
        "Số kết nối mở cùng lúc tới một địa chỉ IP (nhiều trang dùng chung máy chủ)",
    ),
    (
        "scan web",
        "per_ip_rate",
        "Số kết nối mới mỗi giây tới một địa chỉ IP (0: không giới hạn)",
    ),
    (
        "scan web",
        "timeout",
        "Số giây cho một yêu cầu hoặc một lần bắt tay TLS",
    ),
    (
        "scan web",
        "site_timeout",
        "Số giây cho cả một trang; các kiểm tra còn chạy khi hết giờ là không xác định (hết thời gian)",
    ),
    (
        "scan web",
        "crawl_personal_data",
        "Duyệt thêm từng trang (chỉ cùng tên máy) để tìm số CCCD trong trang và tài liệu được liên kết (quy tắc W11). Nhiều yêu cầu mỗi trang: độ sâu, số URL, khoảng nghỉ và thời gian lấy từ mục [crawl] của khien.toml. Không có tùy chọn này, W11 là không xác định",
    ),
    (
        "scan web",
        "crawl_concurrency",
        "Số trang được duyệt tìm dữ liệu cá nhân cùng lúc (mỗi trang có thể giữ một tài liệu tới [crawl] max_document_mb trong bộ nhớ)",
    ),
    (
        "scan mail",
        "",
        "Kiểm tra tên miền thư điện tử (MX, SPF, DMARC, DKIM, STARTTLS; chỉ EHLO/STARTTLS/QUIT)",
    ),
    (
        "scan mail",
        "domains",
        "Các tên miền thư, ví dụ thpt-bl.edu.vn",
    ),
    (
        "scan mail",
        "register",
        "Kiểm tra thêm mail_domain của mọi đơn vị trong sổ đăng ký của Sở (với dkim_selectors của đơn vị)",
    ),
    (
        "scan mail",
        "dkim_selectors",
        "Bộ chọn (selector) DKIM cần tra cứu cho các tên miền trên dòng lệnh (dùng được nhiều lần)",
    ),
    (
        "scan mail",
        "dns_server",
        "Hỏi máy chủ DNS này (IP hoặc IP:CỔNG) thay vì bộ phân giải của hệ thống",
    ),
    (
        "scan mail",
        "smtp_port",
        "Cổng SMTP của máy chủ thư (25; cổng khác chỉ dùng cho máy chủ thử nghiệm)",
    ),
    (
        "scan mail",
        "timeout",
        "Số giây cho một truy vấn DNS, một phiên SMTP hoặc một lần bắt tay TLS",
    ),
    ("scan mail", "concurrency", "Số tên miền kiểm tra cùng lúc"),
    // eval
    (
        "eval",
        "",
        "Đánh giá một tài liệu dữ kiện đã lưu (từ `scan ... --facts-out`)",
    ),
    ("eval", "facts", "Tài liệu dữ kiện cần đánh giá"),
    (
        "eval",
        "at",
        "Thời điểm đánh giá (RFC 3339); mặc định: lúc thu thập dữ kiện",
    ),
    // rules
    ("rules", "", "Liệt kê, xem và kiểm tra quy tắc"),
    ("rules list", "", "Liệt kê các quy tắc của bộ quy tắc"),
    ("rules show", "", "Xem đầy đủ một quy tắc"),
    ("rules show", "code", "Mã quy tắc, ví dụ HOST-AV-001"),
    (
        "rules facts",
        "",
        "Liệt kê các dữ kiện quy tắc đọc được, kèm ý nghĩa",
    ),
    (
        "rules facts",
        "target",
        "Loại đối tượng: host, web hoặc register",
    ),
    (
        "rules check",
        "",
        "Kiểm tra tệp hoặc thư mục bộ quy tắc mà không rà soát",
    ),
    (
        "rules check",
        "paths",
        "Các tệp hoặc thư mục bộ quy tắc cần kiểm tra",
    ),
    (
        "rules doc",
        "",
        "Viết danh mục quy tắc: OUT/rules.md (tiếng Việt) và OUT/rules.en.md",
    ),
    (
        "rules doc",
        "examples",
        "Thư mục ví dụ mẫu, mỗi quy tắc một tệp MÃ.json (xem fixtures/rules/README.md)",
    ),
    ("rules doc", "out", "Thư mục ghi hai tệp danh mục"),
    // waivers
    (
        "waivers",
        "",
        "Kiểm tra miễn trừ; xem kết quả có hoặc không tính miễn trừ",
    ),
    (
        "waivers check",
        "",
        "Kiểm tra tệp miễn trừ theo bộ quy tắc và liệt kê tình trạng từng miễn trừ",
    ),
    ("waivers check", "file", "Tệp miễn trừ cần kiểm tra"),
    (
        "waivers check",
        "at",
        "Ngày xét miễn trừ (RFC 3339). Mặc định: bây giờ",
    ),
    (
        "waivers check",
        "register",
        "Kiểm tra thêm rằng các đơn vị và đối tượng trong sổ đăng ký mà miễn trừ nêu có tồn tại",
    ),
    (
        "waivers view",
        "",
        "Xem một tài liệu kết quả đã lưu (đầu ra của `--format json`) cùng các miễn trừ của nó, hoặc với `--without-waivers` như khi không có miễn trừ nào. `--waivers TỆP` áp dụng thêm miễn trừ",
    ),
    ("waivers view", "result", "Tài liệu kết quả (JSON) cần xem"),
    (
        "waivers view",
        "without_waivers",
        "Đưa mọi phát hiện được miễn trừ trở lại thành không đạt",
    ),
    // pdata
    (
        "pdata",
        "",
        "Tìm số căn cước công dân (dữ liệu cá nhân) trong các thư mục",
    ),
    (
        "pdata scan",
        "",
        "Quét thư mục tìm số CCCD; chỉ in số lượng và mẫu đã che",
    ),
    (
        "pdata scan",
        "folders",
        "Các thư mục cần quét (cả thư mục con)",
    ),
    (
        "pdata scan",
        "min_ids",
        "Liệt kê tệp có từ chừng này số CCCD khác nhau; thoát với mã 1 khi có tệp như vậy. Mặc định: tham số pdata_min_ids_per_file của bộ quy tắc",
    ),
    (
        "pdata scan",
        "max_file_mb",
        "Bỏ qua tài liệu lớn hơn chừng này megabyte",
    ),
    (
        "pdata scan",
        "stats",
        "In số tệp và megabyte mỗi giây ra đầu ra lỗi",
    ),
    // report
    (
        "report",
        "",
        "Báo cáo nợ tuân thủ từ các tài liệu kết quả (HTML, XLSX, CSV, JSON)",
    ),
    (
        "report",
        "inputs",
        "Tài liệu kết quả (`khien ... --format json`): tệp, thư mục (mọi *.json trong đó), hoặc cơ sở dữ liệu lịch sử ghi bằng --db",
    ),
    (
        "report",
        "period",
        "Kỳ báo cáo: một năm (2026, báo cáo năm) hoặc nửa năm (2026-H1)",
    ),
    (
        "report",
        "output",
        "Ghi báo cáo vào TỆP thay vì đầu ra chuẩn",
    ),
    (
        "report",
        "db",
        "Cơ sở dữ liệu lịch sử (tệp SQLite, tạo mới nếu chưa có): kết quả đọc được ghi vào đó, và báo cáo bao gồm mọi thứ nó chứa",
    ),
    (
        "report",
        "unit",
        "Chỉ báo cáo cho một đơn vị (theo mã), nặng nhất trước, kèm các bước khắc phục",
    ),
    (
        "report",
        "register",
        "Sổ đăng ký của Sở (TOML, như cho `khien scan register`): xã/phường và số máy của các đơn vị là mẫu số của độ bao phủ",
    ),
    (
        "report",
        "inventory",
        "Số máy của các đơn vị không có trong sổ đăng ký (hoặc khi không có --register): CSV với các cột unit_code,unit_name,commune,computers. Một dòng thay thế mục của cùng đơn vị trong sổ đăng ký",
    ),
    (
        "report",
        "at",
        "Ngày đánh giá (RFC 3339): tuổi và thời hạn tính đến ngày này. Mặc định: bây giờ, hoặc cuối kỳ nếu kỳ đã qua",
    ),
    (
        "report",
        "since",
        "Đếm phát hiện mới, đã khắc phục và tái diễn sau thời điểm này. Mặc định: lần rà soát mới nhất mà báo cáo công bố gần nhất cùng phạm vi (toàn tỉnh, hoặc --unit này) trong --db đã thấy, nếu không thì đầu kỳ",
    ),
    (
        "report",
        "config",
        "Cấu hình của đơn vị để ghi đè tham số (thời hạn theo mức nghiêm trọng)",
    ),
    (
        "report",
        "publish",
        "Ghi báo cáo này vào --db là bản đã công bố: các báo cáo sau đếm phát hiện mới, đã khắc phục và tái diễn kể từ dữ liệu nó đã thấy. Không có tùy chọn này thì không gì thay đổi, nên bản HTML và XLSX của cùng dữ liệu cho cùng kết quả",
    ),
    // init
    (
        "init",
        "",
        "Viết khien.toml của đơn vị (mã đơn vị được đối chiếu với sổ đăng ký)",
    ),
    (
        "init",
        "unit_code",
        "Mã của đơn vị trong sổ đăng ký của Sở, ví dụ THPT-BL-01",
    ),
    (
        "init",
        "unit_name",
        "Tên đơn vị (lấy từ sổ đăng ký khi có --register)",
    ),
    (
        "init",
        "register",
        "Sổ đăng ký của Sở: mã đơn vị phải có trong đó",
    ),
    (
        "init",
        "role",
        "Máy dùng để làm gì: staff (giáo viên, văn phòng; mặc định), lab (máy phòng học) hoặc server (máy chủ)",
    ),
    ("init", "output", "Nơi ghi tệp"),
    ("init", "force", "Ghi đè tệp đã có"),
    // serve
    (
        "serve",
        "",
        "Máy chủ thu thập kết quả của Sở (xem docs/serve.md)",
    ),
    ("serve", "config", "Cấu hình máy chủ (xem docs/serve.md)"),
    (
        "serve tokens",
        "",
        "Mã gửi (token) của các đơn vị trong sổ đăng ký: cấp, thu hồi, cấp lại, xuất danh sách",
    ),
    (
        "serve hash-password",
        "",
        "In mã băm argon2 của mật khẩu đọc từ đầu vào chuẩn, cho password_hash của một [[account]] trong khien-serve.toml",
    ),
    (
        "serve tokens issue",
        "",
        "Cấp mã gửi cho mọi đơn vị trong sổ đăng ký chưa có (hoặc chỉ cho --unit); ghi OUT/tokens.csv và OUT/send/ĐƠN_VỊ.toml, mục [send] cho từng trường",
    ),
    (
        "serve tokens issue",
        "unit",
        "Chỉ các đơn vị này (mã trong sổ đăng ký)",
    ),
    (
        "serve tokens issue",
        "admin",
        "Thay vào đó, cấp một mã quản trị (gửi kết quả của mọi đơn vị: kết quả `scan web` và `scan register` của Sở) với tên này",
    ),
    (
        "serve tokens issue",
        "out",
        "Thư mục ghi mã gửi (được tạo; chưa được có tokens.csv)",
    ),
    (
        "serve tokens revoke",
        "",
        "Thu hồi các mã gửi đang dùng của đơn vị (hoặc một mã theo dấu vân tay)",
    ),
    (
        "serve tokens revoke",
        "unit",
        "Các đơn vị cần thu hồi mã (mã đơn vị)",
    ),
    (
        "serve tokens revoke",
        "fingerprint",
        "Dấu vân tay của một mã gửi, như `export` liệt kê",
    ),
    (
        "serve tokens rotate",
        "",
        "Thu hồi rồi cấp mới, cho đơn vị bị lộ hoặc mất mã gửi",
    ),
    (
        "serve tokens rotate",
        "unit",
        "Các đơn vị cần cấp lại mã (mã đơn vị)",
    ),
    ("serve tokens rotate", "out", "Thư mục ghi mã gửi mới"),
    (
        "serve tokens export",
        "",
        "Liệt kê mọi mã gửi (đơn vị, dấu vân tay, ngày cấp, ngày thu hồi; không bao giờ có mã bí mật) dạng CSV",
    ),
    (
        "serve tokens export",
        "output",
        "Ghi vào TỆP thay vì đầu ra chuẩn",
    ),
];

/// The entry of [`VI`] for `id` ("" for the command itself) under the command `path`.
fn vi_entry(path: &str, id: &str) -> Option<&'static (&'static str, &'static str, &'static str)> {
    let find = |p: &str| VI.iter().find(|(ep, ei, _)| *ep == p && *ei == id);
    if id.is_empty() {
        // clap adds a `help` subcommand under every command that has subcommands.
        let generated_help = path == "help" || path.ends_with(" help");
        return find(path).or_else(|| generated_help.then(|| find("help")).flatten());
    }
    let mut p = path;
    loop {
        if let Some(e) = find(p) {
            return Some(e);
        }
        match p.rsplit_once(' ') {
            Some((parent, _)) => p = parent,
            None if !p.is_empty() => p = "",
            None => return find("*"),
        }
    }
}

fn vi_text(path: &str, id: &str) -> Option<&'static str> {
    vi_entry(path, id).map(|(_, _, t)| *t)
}

/// `help` on every Vietnamese command: clap's headings are English words.
const VI_TEMPLATE: &str =
    "{before-help}{about-with-newline}\nCách dùng: {usage}\n\n{all-args}{after-help}";

fn localize(mut cmd: Command, path: &str) -> Command {
    if let Some(about) = vi_text(path, "") {
        cmd = cmd.about(about).long_about(None::<&str>);
    }
    cmd = cmd
        .help_template(VI_TEMPLATE)
        .subcommand_help_heading("Lệnh")
        .subcommand_value_name("LỆNH");
    let ids: Vec<String> = cmd
        .get_arguments()
        .map(|a| a.get_id().as_str().to_string())
        .collect();
    for id in ids {
        let path = path.to_string();
        cmd = cmd.mut_arg(id.as_str(), |a| localize_arg(a, &path));
    }
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        let sub_path = if path.is_empty() {
            name.clone()
        } else {
            format!("{path} {name}")
        };
        cmd = cmd.mut_subcommand(name.as_str(), |s| localize(s, &sub_path));
    }
    cmd
}

fn localize_arg(mut arg: Arg, path: &str) -> Arg {
    let heading = if arg.is_positional() {
        "Đối số"
    } else {
        "Tùy chọn"
    };
    arg = arg.help_heading(heading);
    let Some(text) = vi_text(path, arg.get_id().as_str()) else {
        return arg;
    };
    let takes_value = arg.get_action().takes_values();
    let mut notes = Vec::new();
    if takes_value {
        let pv: Vec<String> = arg
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| v.get_name().to_string())
            .collect();
        if !pv.is_empty() && !arg.is_hide_possible_values_set() {
            notes.push(format!("giá trị: {}", pv.join(", ")));
        }
        let defaults: Vec<String> = arg
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy().into_owned())
            .collect();
        if !defaults.is_empty() && !arg.is_hide_default_value_set() {
            notes.push(format!("mặc định: {}", defaults.join(", ")));
        }
    }
    if let Some(env) = arg.get_env().filter(|_| !arg.is_hide_env_set()) {
        notes.push(format!("biến môi trường: {}", env.to_string_lossy()));
    }
    let help = if notes.is_empty() {
        text.to_string()
    } else {
        format!("{text} [{}]", notes.join("; "))
    };
    arg.help(help)
        .long_help(None::<&str>)
        .hide_default_value(true)
        .hide_possible_values(true)
        .hide_env(true)
}

/// Commands and arguments shown in `--help` that have no Vietnamese text in [`VI`],
/// and entries of [`VI`] that match nothing (a renamed argument): both should be
/// empty (a test checks).
pub fn untranslated() -> (Vec<String>, Vec<String>) {
    let mut cmd = Cli::command();
    cmd.build();
    let mut missing = Vec::new();
    let mut used = std::collections::BTreeSet::new();
    fn walk(
        cmd: &Command,
        path: &str,
        missing: &mut Vec<String>,
        used: &mut std::collections::BTreeSet<(String, String)>,
    ) {
        let mut note = |id: &str, what: String| match vi_entry(path, id) {
            Some((p, i, _)) => {
                used.insert((p.to_string(), i.to_string()));
            }
            None => missing.push(what),
        };
        note("", format!("command `{path}`"));
        for a in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            let id = a.get_id().as_str();
            note(id, format!("argument `{id}` of `{path}`"));
        }
        // clap's `help` subcommand holds copies of the commands' names only.
        let help_copies = path == "help" || path.ends_with(" help");
        for s in cmd
            .get_subcommands()
            .filter(|s| !s.is_hide_set() && !help_copies)
        {
            let sub = if path.is_empty() {
                s.get_name().to_string()
            } else {
                format!("{path} {}", s.get_name())
            };
            walk(s, &sub, missing, used);
        }
    }
    walk(&cmd, "", &mut missing, &mut used);
    let stale = VI
        .iter()
        .filter(|(p, i, _)| !used.contains(&(p.to_string(), i.to_string())))
        .map(|(p, i, _)| format!("`{p}` `{i}`"))
        .collect();
    (missing, stale)
}
