#!/usr/bin/env python3
"""Synthetic documents for khien's personal-data detector (rules H15, W11).

Every number, name and document here is made up: no real person's data.

    python3 scripts/pdata_corpus.py corpus fixtures/pdata/corpus
        The labelled corpus: pupil and staff lists (with and without ID headers,
        numeric Excel cells that lost their leading zero, PDF lists), prose with
        single IDs, and hard negatives (invoices, bank account columns, phone
        lists, tax codes, amounts). Writes labels.json: for each file, the citizen
        ID numbers it truly holds. Deterministic (fixed seed).

    python3 scripts/pdata_corpus.py tree DIR [--count 10000]
        The speed benchmark tree: DIR/plain (txt, csv) and DIR/office (xlsx, docx,
        ods, pdf), mixed sizes, about 60% of them holding IDs.

Standard library only. The optional password-protected sample needs
msoffcrypto-tool (pip install msoffcrypto-tool); without it that file is skipped.
"""

import io
import json
import os
import random
import sys
import zipfile
from xml.sax.saxutils import escape

PROVINCES = [1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31,
             33, 34, 35, 36, 37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60,
             62, 64, 66, 67, 68, 70, 72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91,
             92, 93, 94, 95, 96]
# Lâm Đồng and its neighbours are the common birth places in the province's schools.
LOCAL = [68, 67, 60, 66, 56, 58, 79]

HO = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
      "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "K'", "Ka"]
DEM = ["Văn", "Thị", "Hữu", "Đức", "Ngọc", "Minh", "Thanh", "Quốc", "Gia", "Bảo"]
TEN = ["An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hòa", "Khoa", "Lan", "Linh",
       "Mai", "Nam", "Ngân", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tú", "Vy",
       "Brệ", "H'Mai", "Điểu"]
ID_HEADERS = ["Số CCCD", "CCCD", "Căn cước công dân", "Số định danh cá nhân",
              "Mã định danh", "SỐ CCCD", "CCCD/Định danh"]


def cccd(rng, year_from=1965, year_to=2020, local=True):
    """A structurally valid citizen ID number (made up)."""
    prov = rng.choice(LOCAL) if local and rng.random() < 0.8 else rng.choice(PROVINCES)
    year = rng.randint(year_from, year_to)
    sex = rng.randint(0, 1)
    century = (0 if year < 2000 else 2) + sex
    return f"{prov:03d}{century}{year % 100:02d}{rng.randint(0, 999999):06d}"


def random12(rng):
    return f"{rng.randint(0, 10**12 - 1):012d}"


def phone(rng):
    return "0" + rng.choice("35789") + "".join(str(rng.randint(0, 9)) for _ in range(8))


def name(rng):
    return f"{rng.choice(HO)} {rng.choice(DEM)} {rng.choice(TEN)}"


def birth(rng, y0=2008, y1=2019):
    return f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(y0, y1)}"


# ---------------------------------------------------------------- writers

def write_text(path, rows_or_text):
    with open(path, "w", encoding="utf-8") as f:
        if isinstance(rows_or_text, str):
            f.write(rows_or_text)
        else:
            f.write("\n".join("\t".join(map(str, r)) for r in rows_or_text) + "\n")


def write_csv(path, rows, sep=","):
    def cell(v):
        v = str(v)
        return '"' + v.replace('"', '""') + '"' if (sep in v or '"' in v) else v
    with open(path, "w", encoding="utf-8-sig") as f:  # Excel's UTF-8 with BOM
        f.write("\r\n".join(sep.join(cell(v) for v in r) for r in rows) + "\r\n")


def col_name(i):
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def write_xlsx(path, rows):
    """Minimal SpreadsheetML: inline strings; int values become number cells
    (as when an ID is typed into a General cell and Excel drops the leading 0)."""
    sheet = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>']
    for r, row in enumerate(rows, 1):
        cells = []
        for c, v in enumerate(row):
            ref = f"{col_name(c)}{r}"
            if isinstance(v, int):
                cells.append(f'<c r="{ref}"><v>{v}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(v))}</t></is></c>')
        sheet.append(f'<row r="{r}">{"".join(cells)}</row>')
    sheet.append("</sheetData></worksheet>")
    files = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="DanhSach" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": "".join(sheet),
    }
    write_zip(path, files)


def write_ods(path, rows):
    body = []
    for row in rows:
        cells = "".join(
            f'<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p></table:table-cell>'
            if isinstance(v, int) else
            f'<table:table-cell office:value-type="string"><text:p>{escape(str(v))}</text:p></table:table-cell>'
            for v in row)
        body.append(f"<table:table-row>{cells}</table:table-row>")
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               '<office:body><office:spreadsheet><table:table table:name="DanhSach">'
               + "".join(body) + "</table:table></office:spreadsheet></office:body></office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)


def write_docx(path, paragraphs, table=None):
    def p(text):
        return f'<w:p><w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'
    body = [p(t) for t in paragraphs]
    if table:
        trs = "".join("<w:tr>" + "".join(f"<w:tc>{p(str(c))}</w:tc>" for c in row) + "</w:tr>" for row in table)
        body.append(f"<w:tbl>{trs}</w:tbl>")
    doc = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
           + "".join(body) + "</w:body></w:document>")
    files = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        "word/document.xml": doc,
    }
    write_zip(path, files)


def write_zip(path, files):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in files.items():
            z.writestr(n, data)


def ascii_fold(s):
    import unicodedata
    s = s.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


def write_pdf(path, lines):
    """A PDF with a real text layer (Helvetica, WinAnsi): Vietnamese is folded to
    ASCII because the standard 14 fonts have no Vietnamese glyphs."""
    pages = [lines[i:i + 60] for i in range(0, max(len(lines), 1), 60)] or [[]]
    objs = []
    kids = []
    n_pages = len(pages)
    # 1 catalog, 2 pages, 3 font, then (page, content) pairs
    for i, page in enumerate(pages):
        ops = ["BT", "/F1 9 Tf", "11 TL", "40 800 Td"]
        for line in page:
            t = ascii_fold(str(line)).replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            t = t.replace("\t", "    ")
            ops.append(f"({t}) Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1", "replace")
        page_id = 4 + 2 * i
        kids.append(f"{page_id} 0 R")
        objs.append((page_id, f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents {page_id + 1} 0 R >>".encode()))
        objs.append((page_id + 1, b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"))
    objs = [(1, b"<< /Type /Catalog /Pages 2 0 R >>"),
            (2, f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {n_pages} >>".encode()),
            (3, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")] + objs
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for oid, body in objs:
        offsets[oid] = out.tell()
        out.write(b"%d 0 obj\n" % oid + body + b"\nendobj\n")
    xref = out.tell()
    size = max(offsets) + 1
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
    for oid in range(1, size):
        out.write(b"%010d 00000 n \n" % offsets[oid])
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref))
    with open(path, "wb") as f:
        f.write(out.getvalue())


# ---------------------------------------------------------------- documents

def pupil_rows(rng, n, header=True, id_header=None, numeric=False, extra_account=False):
    ids = []
    rows = []
    if header:
        h = ["STT", "Họ và tên", "Ngày sinh", id_header or rng.choice(ID_HEADERS), "SĐT phụ huynh"]
        if extra_account:
            h.append("Số tài khoản")
        rows.append(h)
    for i in range(1, n + 1):
        b = birth(rng)
        year = int(b[-4:])
        cid = cccd(rng, year, year)
        ids.append(cid)
        row = [i, name(rng), b, int(cid) if numeric else cid, phone(rng)]
        if extra_account:
            row.append(random12(rng))
        rows.append(row)
    return rows, ids


def staff_rows(rng, n):
    ids = []
    rows = [["STT", "Họ tên giáo viên", "Chức vụ", "Số CCCD", "Số điện thoại", "Mã số thuế"]]
    for i in range(1, n + 1):
        cid = cccd(rng, 1965, 2000)
        ids.append(cid)
        rows.append([i, name(rng), rng.choice(["Giáo viên", "Tổ trưởng", "Nhân viên"]), cid,
                     phone(rng), f"{rng.randint(10**9, 10**10 - 1)}"])
    return rows, ids


def invoice_rows(rng, n):
    rows = [["Số hóa đơn", "Ngày", "Đơn vị", "Số tài khoản", "Số tiền (đồng)"]]
    for _ in range(n):
        rows.append([f"{rng.randint(1, 10**8):012d}", birth(rng, 2025, 2026), "Công ty TNHH " + rng.choice(TEN),
                     random12(rng), f"{rng.randint(1, 900):d}.{rng.randint(0, 999):03d}.000"])
    return rows


def account_rows(rng, n):
    rows = [["STT", "Họ tên", "Số tài khoản", "Ngân hàng"]]
    for i in range(1, n + 1):
        rows.append([i, name(rng), random12(rng), rng.choice(["Agribank", "Vietcombank", "BIDV"])])
    return rows


def prose_with_ids(rng, k):
    ids = []
    parts = ["BIÊN BẢN XÁC MINH HỒ SƠ TUYỂN SINH LỚP 10", ""]
    for _ in range(k):
        cid = cccd(rng, 2010, 2011)
        ids.append(cid)
        label = rng.choice(["số CCCD", "Căn cước công dân số", "số định danh cá nhân", "CCCD:"])
        parts.append(f"Em {name(rng)}, sinh ngày {birth(rng, 2010, 2011)}, {label} {cid}, "
                     f"điện thoại phụ huynh {phone(rng)}, đã nộp đủ hồ sơ.")
    return "\n".join(parts) + "\n", ids


def prose_unlabelled_id(rng):
    """A realistic miss: one ID with no label and no list around it."""
    cid = cccd(rng)
    text = (f"Kính gửi Ban giám hiệu,\nPhụ huynh em {name(rng)} đề nghị cập nhật thông tin: "
            f"{cid}, địa chỉ thôn 3, xã Lộc Thanh.\nTrân trọng.\n")
    return text, [cid]


def prose_negative(rng):
    return (f"THÔNG BÁO\nHọp phụ huynh lúc 7 giờ 30 ngày {birth(rng, 2026, 2026)}. "
            f"Liên hệ thầy {name(rng)}, ĐT {phone(rng)}. Mã số thuế của trường: 5800{rng.randint(100000, 999999)}. "
            f"Kinh phí: {rng.randint(1, 99)}.{rng.randint(100, 999)}.000 đồng. "
            f"Số công văn 1234/SGDĐT-VP. Mã giao dịch FT{random12(rng)}. "
            f"Tài khoản {random12(rng)} tại Agribank.\n")


def build_corpus(out):
    rng = random.Random(20261123)
    os.makedirs(out, exist_ok=True)
    labels = {}

    def put(name_, ids):
        labels[name_] = sorted(set(ids))

    for i in range(6):
        rows, ids = pupil_rows(rng, rng.randint(12, 45))
        write_csv(os.path.join(out, f"ds_hocsinh_{i}.csv"), rows, sep=rng.choice([",", ";"]))
        put(f"ds_hocsinh_{i}.csv", ids)
    for i in range(6):
        rows, ids = pupil_rows(rng, rng.randint(12, 45), numeric=(i % 2 == 0), extra_account=(i % 3 == 0))
        write_xlsx(os.path.join(out, f"ds_lop_{i}.xlsx"), rows)
        put(f"ds_lop_{i}.xlsx", ids)
    for i in range(3):
        rows, ids = pupil_rows(rng, rng.randint(12, 30), numeric=(i == 0))
        write_ods(os.path.join(out, f"ds_ods_{i}.ods"), rows)
        put(f"ds_ods_{i}.ods", ids)
    for i in range(4):
        rows, ids = staff_rows(rng, rng.randint(10, 30))
        write_docx(os.path.join(out, f"giaovien_{i}.docx"), ["DANH SÁCH CÁN BỘ, GIÁO VIÊN", ""], rows)
        put(f"giaovien_{i}.docx", ids)
    for i in range(4):
        rows, ids = pupil_rows(rng, rng.randint(15, 80), header=(i % 2 == 0))
        lines = ["DANH SACH THI SINH TRUNG TUYEN VAO LOP 10"] + ["    ".join(map(str, r)) for r in rows]
        write_pdf(os.path.join(out, f"trungtuyen_{i}.pdf"), lines)
        put(f"trungtuyen_{i}.pdf", ids)
    for i in range(4):
        rows, ids = pupil_rows(rng, rng.randint(8, 20), header=False)
        write_text(os.path.join(out, f"khongtieude_{i}.txt"), rows)
        put(f"khongtieude_{i}.txt", ids)
    for i in range(6):
        text, ids = prose_with_ids(rng, rng.randint(1, 4))
        if i % 2:
            write_docx(os.path.join(out, f"bienban_{i}.docx"), text.splitlines())
            put(f"bienban_{i}.docx", ids)
        else:
            write_text(os.path.join(out, f"bienban_{i}.txt"), text)
            put(f"bienban_{i}.txt", ids)
    for i in range(3):
        text, ids = prose_unlabelled_id(rng)
        write_text(os.path.join(out, f"donthu_{i}.txt"), text)
        put(f"donthu_{i}.txt", ids)
    # Hard negatives: no citizen ID at all.
    for i in range(6):
        rows = invoice_rows(rng, rng.randint(20, 60))
        f = f"hoadon_{i}." + ["csv", "xlsx", "pdf"][i % 3]
        p = os.path.join(out, f)
        if f.endswith(".csv"):
            write_csv(p, rows)
        elif f.endswith(".xlsx"):
            write_xlsx(p, rows)
        else:
            write_pdf(p, ["    ".join(map(str, r)) for r in rows])
        put(f, [])
    for i in range(4):
        rows = account_rows(rng, rng.randint(30, 80))
        f = f"taikhoan_{i}." + ["xlsx", "csv"][i % 2]
        (write_xlsx if f.endswith(".xlsx") else write_csv)(os.path.join(out, f), rows)
        put(f, [])
    for i in range(6):
        f = f"thongbao_{i}.txt"
        write_text(os.path.join(out, f), prose_negative(rng))
        put(f, [])
    phones = [["STT", "Họ tên", "Điện thoại"]] + [[i, name(rng), phone(rng)] for i in range(1, 60)]
    write_csv(os.path.join(out, "danhba.csv"), phones)
    put("danhba.csv", [])

    # A password-protected copy of a list (real encryption when available).
    try:
        import msoffcrypto  # noqa: F401
        from msoffcrypto.format.ooxml import OOXMLFile
        rows, _ = pupil_rows(rng, 20)
        plain = os.path.join(out, "_plain.xlsx")
        write_xlsx(plain, rows)
        with open(plain, "rb") as src, open(os.path.join(out, "matkhau.xlsx"), "wb") as dst:
            OOXMLFile(src).encrypt("khien-test", dst)
        os.remove(plain)
        labels["matkhau.xlsx"] = "protected"
    except ImportError:
        print("msoffcrypto-tool not installed: matkhau.xlsx skipped", file=sys.stderr)

    with open(os.path.join(out, "labels.json"), "w", encoding="utf-8") as f:
        json.dump(labels, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")
    total = sum(len(v) for v in labels.values() if isinstance(v, list))
    print(f"{len(labels)} documents, {total} true IDs -> {out}")


def build_tree(out, count):
    rng = random.Random(10000)
    plain = os.path.join(out, "plain")
    office = os.path.join(out, "office")
    for d in (plain, office):
        os.makedirs(d, exist_ok=True)
    kinds = ["txt"] * 30 + ["csv"] * 30 + ["xlsx"] * 15 + ["docx"] * 12 + ["pdf"] * 8 + ["ods"] * 5
    for i in range(count):
        kind = rng.choice(kinds)
        sub = os.path.join(plain if kind in ("txt", "csv") else office, f"{i // 500:02d}")
        os.makedirs(sub, exist_ok=True)
        p = os.path.join(sub, f"tep_{i:05d}.{kind}")
        n = rng.choice([10, 40, 120, 400]) if kind in ("txt", "csv") else rng.choice([10, 40, 120])
        has_ids = rng.random() < 0.6
        if kind == "txt" and not has_ids:
            write_text(p, "".join(prose_negative(rng) for _ in range(n // 2 + 1)))
            continue
        rows = pupil_rows(rng, n)[0] if has_ids else invoice_rows(rng, n)
        if kind == "txt":
            write_text(p, rows)
        elif kind == "csv":
            write_csv(p, rows)
        elif kind == "xlsx":
            write_xlsx(p, rows)
        elif kind == "ods":
            write_ods(p, rows)
        elif kind == "docx":
            write_docx(p, ["DANH SÁCH"], rows)
        else:
            write_pdf(p, ["    ".join(map(str, r)) for r in rows])
    print(f"{count} documents -> {out}")


def main(argv):
    if len(argv) >= 3 and argv[1] == "corpus":
        build_corpus(argv[2])
    elif len(argv) >= 3 and argv[1] == "tree":
        count = int(argv[argv.index("--count") + 1]) if "--count" in argv else 10000
        build_tree(argv[2], count)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
