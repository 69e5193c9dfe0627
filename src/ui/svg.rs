//! Small SVG chart helpers: a heatmap, a bars-and-line chart and a Gantt. Plain SVG elements,
//! every text escaped by maud; no script.

use chrono::NaiveDate;
use maud::{html, Markup};

const FONT: &str = "font-family:system-ui,sans-serif;font-size:11px";

/// Colour of a utilisation share: pale to deep blue, and orange-red at or above `threshold`.
pub fn heat_colour(u: f64, threshold: f64) -> String {
    if u >= threshold {
        let over = ((u - threshold) / (1.0 - threshold).max(0.01)).clamp(0.0, 1.0);
        let light = 62.0 - 20.0 * over;
        format!("hsl(12,85%,{light:.0}%)")
    } else {
        let light = 96.0 - 50.0 * (u / threshold.max(0.01)).clamp(0.0, 1.0);
        format!("hsl(212,70%,{light:.0}%)")
    }
}

/// Suite rows × month columns, each cell a utilisation share (`None`: nothing open).
pub fn heatmap(columns: &[String], rows: &[(String, Vec<Option<f64>>)], threshold: f64) -> Markup {
    let (left, top, cw, ch) = (150.0, 40.0, 46.0, 26.0);
    let width = left + cw * columns.len() as f64 + 10.0;
    let height = top + ch * rows.len() as f64 + 10.0;
    html! {
        svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="utilisation heatmap"
            width=(width) height=(height) viewBox=(format!("0 0 {width} {height}")) style=(FONT) {
            @for (i, c) in columns.iter().enumerate() {
                text x=(left + cw * i as f64 + cw / 2.0) y=(top - 8.0) text-anchor="middle"
                    transform=(format!("rotate(-30 {} {})", left + cw * i as f64 + cw / 2.0, top - 8.0)) { (c) }
            }
            @for (r, (name, cells)) in rows.iter().enumerate() {
                @let y = top + ch * r as f64;
                text x=(left - 6.0) y=(y + ch / 2.0 + 4.0) text-anchor="end" { (name) }
                @for (i, cell) in cells.iter().enumerate() {
                    @let x = left + cw * i as f64;
                    @match cell {
                        Some(u) => {
                            rect x=(x) y=(y) width=(cw - 2.0) height=(ch - 2.0) fill=(heat_colour(*u, threshold))
                                stroke=(if *u >= threshold { "#8b1a00" } else { "none" })
                                stroke-width=(if *u >= threshold { "2" } else { "0" }) {
                                title { (name) " " (columns.get(i).map(String::as_str).unwrap_or("")) ": " (format!("{:.0}%", u * 100.0)) }
                            }
                            text x=(x + cw / 2.0 - 1.0) y=(y + ch / 2.0 + 3.0) text-anchor="middle"
                                fill=(if *u >= threshold || *u > threshold * 0.7 { "#fff" } else { "#123" }) {
                                (format!("{:.0}", u * 100.0))
                            }
                        }
                        None => {
                            rect x=(x) y=(y) width=(cw - 2.0) height=(ch - 2.0) fill="#eee" {
                                title { "not open" }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A diverging heatmap of differences in percentage points (`other − base`): red where the
/// other plan uses more, blue where less, white around zero; each cell prints its signed value
/// (status not by colour alone), grey where a side has no figure.
pub fn diverging_heatmap(columns: &[String], rows: &[(String, Vec<Option<f64>>)]) -> Markup {
    let (left, top, cw, ch) = (170.0, 40.0, 46.0, 26.0);
    let width = left + cw * columns.len() as f64 + 10.0;
    let height = top + ch * rows.len() as f64 + 10.0;
    let colour = |d: f64| {
        // Full colour at ±50 points.
        let t = (d.abs() / 0.5).min(1.0);
        let mix = |full: f64| (255.0 - (255.0 - full) * t).round() as u8;
        if d >= 0.0 {
            format!("rgb({},{},{})", mix(200.0), mix(60.0), mix(40.0))
        } else {
            format!("rgb({},{},{})", mix(40.0), mix(100.0), mix(190.0))
        }
    };
    html! {
        svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="utilisation difference heatmap"
            width=(width) height=(height) viewBox=(format!("0 0 {width} {height}")) style=(FONT) {
            @for (i, c) in columns.iter().enumerate() {
                text x=(left + cw * i as f64 + cw / 2.0) y=(top - 8.0) text-anchor="middle"
                    transform=(format!("rotate(-30 {} {})", left + cw * i as f64 + cw / 2.0, top - 8.0)) { (c) }
            }
            @for (r, (name, cells)) in rows.iter().enumerate() {
                @let y = top + ch * r as f64;
                text x=(left - 6.0) y=(y + ch / 2.0 + 4.0) text-anchor="end" { (name) }
                @for (i, cell) in cells.iter().enumerate() {
                    @let x = left + cw * i as f64;
                    @match cell {
                        Some(d) => {
                            rect x=(x) y=(y) width=(cw - 2.0) height=(ch - 2.0) fill=(colour(*d)) {
                                title { (name) " " (columns.get(i).map(String::as_str).unwrap_or("")) ": " (format!("{:+.0} points", d * 100.0)) }
                            }
                            text x=(x + cw / 2.0 - 1.0) y=(y + ch / 2.0 + 3.0) text-anchor="middle"
                                fill=(if d.abs() > 0.3 { "#fff" } else { "#123" }) {
                                (format!("{:+.0}", d * 100.0))
                            }
                        }
                        None => {
                            rect x=(x) y=(y) width=(cw - 2.0) height=(ch - 2.0) fill="#eee" {
                                title { "not in both plans" }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Round-up "nice" maximum for an axis.
fn nice_max(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if v <= step * mag {
            return step * mag;
        }
    }
    10.0 * mag
}

/// Bars (`bars`, e.g. demand) against a line (`line`, e.g. capacity) per month column.
pub fn bars_and_line(
    columns: &[String],
    bars: (&str, &[f64]),
    line: Option<(&str, &[f64])>,
    unit: &str,
) -> Markup {
    let (left, top, bottom, cw, h) = (60.0, 20.0, 50.0, 40.0, 200.0);
    let width = left + cw * columns.len() as f64 + 160.0;
    let height = top + h + bottom;
    let max = bars
        .1
        .iter()
        .chain(line.map(|l| l.1).unwrap_or(&[]).iter())
        .fold(0.0f64, |a, b| a.max(*b));
    let max = nice_max(max);
    let y = |v: f64| top + h - h * (v / max).clamp(0.0, 1.0);
    let points: String = line
        .map(|(_, vals)| {
            vals.iter()
                .enumerate()
                .map(|(i, v)| format!("{:.1},{:.1}", left + cw * i as f64 + cw / 2.0, y(*v)))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    let legend_x = left + cw * columns.len() as f64 + 12.0;
    html! {
        svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label=(bars.0)
            width=(width) height=(height) viewBox=(format!("0 0 {width} {height}")) style=(FONT) {
            @for k in 0..=4 {
                @let v = max * k as f64 / 4.0;
                line x1=(left) x2=(left + cw * columns.len() as f64) y1=(y(v)) y2=(y(v)) stroke="#ddd" {}
                text x=(left - 6.0) y=(y(v) + 4.0) text-anchor="end" { (axis_label(v)) }
            }
            text x="4" y=(top - 6.0) { (unit) }
            @for (i, v) in bars.1.iter().enumerate() {
                @let x = left + cw * i as f64 + 6.0;
                rect x=(x) y=(y(*v)) width=(cw - 12.0) height=((top + h - y(*v)).max(0.0)) fill="#4a86c8" {
                    title { (columns.get(i).map(String::as_str).unwrap_or("")) ": " (format!("{v:.0}")) " " (unit) }
                }
            }
            @if let Some((name, _)) = line {
                polyline points=(points) fill="none" stroke="#d2451e" stroke-width="2.5" {}
                rect x=(legend_x) y=(top + 22.0) width="12" height="3" fill="#d2451e" {}
                text x=(legend_x + 18.0) y=(top + 27.0) { (name) }
            }
            rect x=(legend_x) y=(top) width="12" height="12" fill="#4a86c8" {}
            text x=(legend_x + 18.0) y=(top + 10.0) { (bars.0) }
            @for (i, c) in columns.iter().enumerate() {
                @let cx = left + cw * i as f64 + cw / 2.0;
                text x=(cx) y=(top + h + 14.0) text-anchor="end"
                    transform=(format!("rotate(-40 {cx} {})", top + h + 14.0)) { (c) }
            }
        }
    }
}

/// An axis value: whole numbers plain, others with up to two decimals.
fn axis_label(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}").trim_end_matches('0').to_string()
    }
}

/// What a Gantt bar stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarKind {
    Confirmed,
    Held,
    Closure,
    /// Someone else's booking, shown without any detail.
    Unavailable,
}

#[derive(Debug, Clone)]
pub struct Bar {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub kind: BarKind,
    /// Text inside the bar and its tooltip; `None` shows nothing.
    pub label: Option<String>,
}

#[derive(Debug, Clone)]
pub struct GanttRow {
    pub label: String,
    pub bars: Vec<Bar>,
    /// Where the row's label leads (the booking form for that line).
    pub link: Option<String>,
}

/// Rows of bars over `[from, to)`, with month gridlines. `id` keeps the hatch pattern's id unique
/// on a page.
pub fn gantt(id: &str, from: NaiveDate, to: NaiveDate, rows: &[GanttRow]) -> Markup {
    let (left, top, rh, w) = (170.0, 26.0, 22.0, 900.0);
    let days = (to - from).num_days().max(1) as f64;
    let width = left + w + 10.0;
    let height = top + rh * rows.len() as f64 + 30.0;
    let x = |d: NaiveDate| left + w * ((d - from).num_days() as f64 / days).clamp(0.0, 1.0);
    let hatch = format!("hatch-{id}");
    let mut month_starts = Vec::new();
    let mut m = crate::domain::Month::of(from);
    while m.first_day() < to {
        if m.first_day() >= from {
            month_starts.push(m);
        }
        m = m.next();
    }
    html! {
        svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="bookings Gantt"
            width=(width) height=(height) viewBox=(format!("0 0 {width} {height}")) style=(FONT) {
            defs {
                pattern id=(hatch) patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)" {
                    rect width="6" height="6" fill="#d6e6f7" {}
                    line x1="0" y1="0" x2="0" y2="6" stroke="#4a86c8" stroke-width="2.5" {}
                }
            }
            @for (r, _) in rows.iter().enumerate() {
                @if r % 2 == 0 {
                    rect x=(left) y=(top + rh * r as f64) width=(w) height=(rh) fill="#f6f8fa" {}
                }
            }
            @for m in &month_starts {
                @let mx = x(m.first_day());
                line x1=(mx) x2=(mx) y1=(top - 4.0) y2=(top + rh * rows.len() as f64) stroke="#ccc" {}
                text x=(mx + 3.0) y=(top - 8.0) { (m.to_string()) }
            }
            @for (r, row) in rows.iter().enumerate() {
                @let y = top + rh * r as f64;
                @match &row.link {
                    Some(href) => a href=(href) {
                        title { "Book " (row.label) }
                        text x=(left - 6.0) y=(y + rh / 2.0 + 4.0) text-anchor="end" fill="#12324f" text-decoration="underline" { (row.label) }
                    },
                    None => text x=(left - 6.0) y=(y + rh / 2.0 + 4.0) text-anchor="end" { (row.label) },
                }
                @for bar in &row.bars {
                    @let (x0, x1) = (x(bar.start), x(bar.end));
                    @if x1 > x0 {
                        @let (fill, stroke) = match bar.kind {
                            BarKind::Confirmed => ("#2f6fb5".to_string(), "#1d4f86"),
                            BarKind::Held => (format!("url(#{hatch})"), "#4a86c8"),
                            BarKind::Closure => ("#9a9a9a".to_string(), "#777"),
                            BarKind::Unavailable => ("#c9c9c9".to_string(), "#aaa"),
                        };
                        rect x=(x0) y=(y + 3.0) width=(x1 - x0) height=(rh - 6.0) fill=(fill) stroke=(stroke) rx="2" {
                            title {
                                (kind_name(bar.kind))
                                @if let Some(l) = &bar.label { ": " (l) }
                                " " (bar.start.to_string()) " → " (bar.end.to_string())
                            }
                        }
                        @if let Some(l) = &bar.label {
                            @if x1 - x0 > 40.0 {
                                text x=(x0 + 4.0) y=(y + rh / 2.0 + 4.0)
                                    fill=(if bar.kind == BarKind::Held { "#0b2f57" } else { "#fff" }) {
                                    (truncate(l, ((x1 - x0) / 6.5) as usize))
                                }
                            }
                        }
                    }
                }
            }
            @let ly = top + rh * rows.len() as f64 + 12.0;
            @for (i, (kind, fill)) in [(BarKind::Confirmed, "#2f6fb5".to_string()), (BarKind::Held, format!("url(#{hatch})")),
                                      (BarKind::Closure, "#9a9a9a".to_string()), (BarKind::Unavailable, "#c9c9c9".to_string())].iter().enumerate() {
                rect x=(left + 130.0 * i as f64) y=(ly) width="14" height="12" fill=(fill) stroke="#888" {}
                text x=(left + 130.0 * i as f64 + 20.0) y=(ly + 10.0) { (kind_name(*kind)) }
            }
        }
    }
}

fn kind_name(kind: BarKind) -> &'static str {
    match kind {
        BarKind::Confirmed => "confirmed",
        BarKind::Held => "held",
        BarKind::Closure => "closed",
        BarKind::Unavailable => "unavailable",
    }
}

/// At most `n` characters, with an ellipsis when cut.
pub fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_axis_maxima() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(130.0), 200.0);
        assert_eq!(nice_max(240.0), 250.0);
        assert_eq!(axis_label(2.5), "2.5");
        assert_eq!(axis_label(1.25), "1.25");
        assert_eq!(axis_label(50.0), "50");
    }

    #[test]
    fn hot_cells_change_hue() {
        assert!(heat_colour(0.5, 0.82).starts_with("hsl(212"));
        assert!(heat_colour(0.82, 0.82).starts_with("hsl(12"));
        assert!(heat_colour(1.3, 0.82).starts_with("hsl(12"));
    }

    #[test]
    fn labels_are_escaped_and_cut() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        let rows = vec![GanttRow {
            label: "<script>".into(),
            bars: vec![Bar {
                start: d("2026-01-05"),
                end: d("2026-03-01"),
                kind: BarKind::Held,
                label: Some("A&B".into()),
            }],
            link: None,
        }];
        let svg = gantt("t", d("2026-01-01"), d("2026-04-01"), &rows).into_string();
        assert!(svg.contains("&lt;script&gt;") && !svg.contains("<script>"));
        assert!(svg.contains("A&amp;B"));
        assert!(svg.contains("url(#hatch-t)"));
        assert_eq!(truncate("abcdef", 4), "abc…");
    }
}
