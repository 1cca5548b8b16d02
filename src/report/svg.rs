//! Charts as inline SVG, drawn by hand so the HTML report needs no script and no
//! external file. Every label is escaped; sizes are fixed so charts print on A4.

use std::fmt::Write as _;

use super::safe::html as esc;

const WIDTH: f64 = 680.0;

/// One bar of an indicator chart: measured share against its target.
pub struct ShareBar {
    pub label: String,
    pub pct: Option<f64>,
    pub target_pct: f64,
    /// The value as the reader's language writes it ("65,0%").
    pub value: String,
    pub note: String,
}

/// Horizontal bars, 0–100 %, with the target marked; a missing value is said in words.
pub fn share_bars(title: &str, bars: &[ShareBar], no_data: &str) -> String {
    let row = 26.0;
    let left = 250.0;
    let right = 150.0;
    let plot = WIDTH - left - right;
    let height = 30.0 + row * bars.len() as f64 + 20.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}"><title>{}</title>"#,
        esc(title)
    );
    for pct in [0.0, 50.0, 100.0] {
        let x = left + plot * pct / 100.0;
        let _ = write!(
            s,
            r##"<line x1="{x}" y1="20" x2="{x}" y2="{}" stroke="#ccc"/><text x="{x}" y="14" font-size="10" text-anchor="middle">{pct:.0}%</text>"##,
            height - 20.0
        );
    }
    for (i, b) in bars.iter().enumerate() {
        let y = 24.0 + row * i as f64;
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" font-size="11" text-anchor="end">{}</text>"#,
            left - 6.0,
            y + 14.0,
            esc(&b.label)
        );
        match b.pct {
            Some(p) => {
                let w = plot * p.clamp(0.0, 100.0) / 100.0;
                let color = if p >= b.target_pct {
                    "#2e7d32"
                } else {
                    "#c62828"
                };
                let _ = write!(
                    s,
                    r##"<rect x="{left}" y="{y}" width="{w:.1}" height="18" fill="{color}"/><text x="{}" y="{}" font-size="11">{} {}</text>"##,
                    left + plot + 4.0,
                    y + 14.0,
                    esc(&b.value),
                    esc(&b.note)
                );
            }
            None => {
                let _ = write!(
                    s,
                    r##"<text x="{}" y="{}" font-size="11" fill="#666">{}</text>"##,
                    left + 4.0,
                    y + 14.0,
                    esc(no_data)
                );
            }
        }
        let tx = left + plot * b.target_pct.clamp(0.0, 100.0) / 100.0;
        let _ = write!(
            s,
            r##"<line x1="{tx}" y1="{}" x2="{tx}" y2="{}" stroke="#000" stroke-width="2" stroke-dasharray="3,2"/>"##,
            y - 2.0,
            y + 20.0
        );
    }
    s.push_str("</svg>");
    s
}

/// A line of counts over time (debt over the last months).
pub fn line(title: &str, points: &[(String, u64)]) -> String {
    let height = 200.0;
    let (left, right, top, bottom) = (50.0, 20.0, 20.0, 40.0);
    let plot_w = WIDTH - left - right;
    let plot_h = height - top - bottom;
    let max = points.iter().map(|p| p.1).max().unwrap_or(0).max(1) as f64;
    let step = if points.len() > 1 {
        plot_w / (points.len() - 1) as f64
    } else {
        0.0
    };
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}"><title>{}</title>"#,
        esc(title)
    );
    let _ = write!(
        s,
        r##"<line x1="{left}" y1="{}" x2="{}" y2="{}" stroke="#999"/><text x="{}" y="{}" font-size="10" text-anchor="end">{max:.0}</text><text x="{}" y="{}" font-size="10" text-anchor="end">0</text>"##,
        top + plot_h,
        left + plot_w,
        top + plot_h,
        left - 4.0,
        top + 4.0,
        left - 4.0,
        top + plot_h
    );
    let coords: Vec<(f64, f64)> = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            (
                left + step * i as f64,
                top + plot_h - plot_h * p.1 as f64 / max,
            )
        })
        .collect();
    let path: Vec<String> = coords
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    let _ = write!(
        s,
        r##"<polyline points="{}" fill="none" stroke="#c62828" stroke-width="2"/>"##,
        path.join(" ")
    );
    for ((x, y), (label, n)) in coords.iter().zip(points) {
        let _ = write!(
            s,
            r##"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="#c62828"/><text x="{x:.1}" y="{:.1}" font-size="9" text-anchor="middle">{n}</text><text x="{x:.1}" y="{}" font-size="9" text-anchor="middle">{}</text>"##,
            y - 6.0,
            height - bottom + 14.0,
            esc(label)
        );
    }
    s.push_str("</svg>");
    s
}

/// Horizontal bars of counts, with the overdue part in a darker colour.
pub fn count_bars(title: &str, bars: &[(String, u64, u64)]) -> String {
    let row = 22.0;
    let left = 230.0;
    let plot = WIDTH - left - 80.0;
    let height = 10.0 + row * bars.len().max(1) as f64;
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1) as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}"><title>{}</title>"#,
        esc(title)
    );
    for (i, (label, open, overdue)) in bars.iter().enumerate() {
        let y = 5.0 + row * i as f64;
        let w = plot * *open as f64 / max;
        let wo = plot * *overdue as f64 / max;
        let _ = write!(
            s,
            r##"<text x="{}" y="{}" font-size="11" text-anchor="end">{}</text><rect x="{left}" y="{y}" width="{w:.1}" height="16" fill="#ef9a9a"/><rect x="{left}" y="{y}" width="{wo:.1}" height="16" fill="#b71c1c"/><text x="{:.1}" y="{}" font-size="11">{open} ({overdue})</text>"##,
            left - 6.0,
            y + 12.0,
            esc(label),
            left + w + 4.0,
            y + 12.0
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped() {
        let svg = count_bars("t", &[("<script>x</script>".into(), 3, 1)]);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        let svg = share_bars(
            "t",
            &[ShareBar {
                label: "K01".into(),
                pct: None,
                target_pct: 100.0,
                value: String::new(),
                note: String::new(),
            }],
            "không có số liệu",
        );
        assert!(svg.contains("không có số liệu"));
    }
}
