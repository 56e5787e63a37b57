//! The SVG chart of `vmhost bench`: for each workload, one bar per backend (and native Rust
//! where it has a twin), the time relative to the first backend, on a log scale (lower is
//! faster). plotters' SVG backend writes text as `<text>` elements: no font files needed.

use std::path::Path;

use anyhow::{anyhow, Result};
use plotters::prelude::*;

const COLORS: [RGBColor; 5] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
];

/// Writes the chart of `figures` (per backend, per row) and `native` (per row) to `path`.
pub fn write<const N: usize>(
    path: &Path,
    backends: &[String],
    rows: &[&str],
    figures: &[[f64; N]],
    native: &[Option<f64>; N],
) -> Result<()> {
    let mut series: Vec<(String, Vec<Option<f64>>)> =
        backends.iter().zip(figures).map(|(b, f)| (b.clone(), f.iter().map(|v| Some(*v)).collect())).collect();
    series.push(("native Rust".into(), native.to_vec()));
    let ratio = |r: usize, v: f64| v / figures[0][r];
    let (mut lo, mut hi) = (1.0f64, 1.0f64);
    for (_, vals) in &series {
        for (r, v) in vals.iter().enumerate() {
            if let Some(v) = v {
                lo = lo.min(ratio(r, *v));
                hi = hi.max(ratio(r, *v));
            }
        }
    }
    let root = SVGBackend::new(path, (1100, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    let groups = rows.len();
    let bars = series.len();
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("vmhost bench: time relative to {} (log scale, lower is faster)", backends[0]),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(70)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..groups as f64, (lo * 0.5..hi * 4.0).log_scale())
        .map_err(|e| anyhow!("{e}"))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        // Ticks every half unit: a group's label sits at its centre (x = i + 0.5).
        .x_labels(groups * 2 + 1)
        .x_label_formatter(&|x| {
            if (x.fract() - 0.5).abs() < 0.01 {
                // The label up to its first comma keeps neighbours apart.
                rows.get(x.floor() as usize).map(|s| s.split(',').next().unwrap_or(s).to_string()).unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| format!("{y:.2}×"))
        .y_desc("time relative to the first backend")
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    let width = 0.8 / bars as f64;
    for (b, (name, vals)) in series.iter().enumerate() {
        let color = COLORS[b % COLORS.len()];
        let rects = vals.iter().enumerate().filter_map(|(r, v)| {
            let v = (*v)?;
            let x0 = r as f64 + 0.1 + b as f64 * width;
            Some(Rectangle::new([(x0, lo * 0.5), (x0 + width * 0.9, ratio(r, v))], color.filled()))
        });
        chart
            .draw_series(rects)
            .map_err(|e| anyhow!("{e}"))?
            .label(name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    root.present().map_err(|e| anyhow!("{e}"))?;
    Ok(())
}
