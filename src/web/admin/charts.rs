//! The dashboard's small charts, drawn on the server as SVG (the admin pages run no script):
//! traffic, arrival-to-ERP time and failures per day. Each chart is the store's per-day rows
//! scaled into the SVG's units here; the template only places what it is given. The three
//! share their days (the traffic's, newest first), so one day sits in the same place in each.

use crate::store::search::{DayFailures, DayLatency};

/// The charts' height in SVG units; bars scale to the largest value shown.
pub(crate) const CHART_HEIGHT: u32 = 100;
/// Each day's slot: three bars of 8 and their gaps.
pub(crate) const DAY_WIDTH: u32 = 30;

/// One day's traffic, as the dashboard's table shows it.
pub(crate) struct DayRow {
    /// Days since the epoch (UTC).
    pub number: i64,
    pub day: String,
    pub inbound: i64,
    pub outbound: i64,
    pub failed: i64,
}

/// One day's bars in the traffic chart: heights in the SVG's units (0–100), the group's left edge.
pub(crate) struct DayBars {
    pub x: u32,
    pub label: String,
    pub title: String,
    pub inbound: u32,
    pub outbound: u32,
    pub failed: u32,
}

/// One day in the arrival-to-ERP chart: median and 95th-percentile bars.
pub(crate) struct LatencyBars {
    pub x: u32,
    pub title: String,
    pub median: u32,
    pub p95: u32,
}

/// One day's arrival-to-ERP times for the table beside the chart.
pub(crate) struct LatencyRow {
    pub day: String,
    pub delivered: i64,
    pub median: String,
    pub p95: String,
    pub max: String,
}

/// One day in the failures chart: failed, rejected and quarantined stacked from the bottom
/// (each with its top edge, `y_*`, and height).
pub(crate) struct FailureBars {
    pub x: u32,
    pub title: String,
    pub failed: u32,
    pub y_failed: u32,
    pub rejected: u32,
    pub y_rejected: u32,
    pub quarantined: u32,
    pub y_quarantined: u32,
}

/// `n` of `max` in the chart's units; a day with any count shows at least a sliver.
fn scale(n: i64, max: i64) -> u32 {
    let h = n.max(0).saturating_mul(i64::from(CHART_HEIGHT)) / max.max(1);
    u32::try_from(h)
        .unwrap_or(CHART_HEIGHT)
        .min(CHART_HEIGHT)
        .max(u32::from(n > 0))
}

fn left_edge(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(0).saturating_mul(DAY_WIDTH)
}

/// The per-day traffic as bars.
pub(crate) fn traffic(days: &[DayRow]) -> Vec<DayBars> {
    let max = days
        .iter()
        .map(|d| d.inbound.max(d.outbound).max(d.failed))
        .max()
        .unwrap_or(0);
    days.iter()
        .enumerate()
        .map(|(i, d)| DayBars {
            x: left_edge(i),
            label: d.day.get(5..).unwrap_or(&d.day).to_owned(),
            title: format!(
                "{}: {} in, {} out, {} failed",
                d.day, d.inbound, d.outbound, d.failed
            ),
            inbound: scale(d.inbound, max),
            outbound: scale(d.outbound, max),
            failed: scale(d.failed, max),
        })
        .collect()
}

/// A time from arrival to the ERP for people: "850 ms", "2.4 s", then minutes and hours.
pub(crate) fn latency_text(ms: i64) -> String {
    match ms.max(0) {
        ms @ 0..1000 => format!("{ms} ms"),
        ms @ 1000..60_000 => format!("{:.1} s", ms as f64 / 1000.0),
        ms => super::ago(ms),
    }
}

/// The arrival-to-ERP chart on the traffic's days (a day nothing reached the ERP has no
/// bars), scaled to the slowest day's 95th percentile: the longest time of a day is in its
/// title and the table, where one stuck message cannot flatten every other bar.
pub(crate) fn latency(days: &[DayRow], rows: &[DayLatency]) -> (Vec<LatencyBars>, Vec<LatencyRow>) {
    let top = rows.iter().map(|r| r.p95_ms).max().unwrap_or(0);
    let mut bars = Vec::new();
    let mut table = Vec::new();
    for (i, d) in days.iter().enumerate() {
        let Some(r) = rows.iter().find(|r| r.day == d.number) else {
            continue;
        };
        let (median, p95, max) = (
            latency_text(r.median_ms),
            latency_text(r.p95_ms),
            latency_text(r.max_ms),
        );
        bars.push(LatencyBars {
            x: left_edge(i),
            title: format!(
                "{}: {} delivered, median {median}, p95 {p95}, max {max}",
                d.day, r.delivered
            ),
            median: scale(r.median_ms, top),
            p95: scale(r.p95_ms, top),
        });
        table.push(LatencyRow {
            day: d.day.clone(),
            delivered: r.delivered,
            median,
            p95,
            max,
        });
    }
    (bars, table)
}

/// The failures chart on the traffic's days, stacked and scaled to the worst day's total.
pub(crate) fn failures(days: &[DayRow], rows: &[DayFailures]) -> Vec<FailureBars> {
    let total = |r: &DayFailures| r.failed + r.rejected + r.quarantined;
    let max = rows.iter().map(total).max().unwrap_or(0);
    days.iter()
        .enumerate()
        .filter_map(|(i, d)| {
            let r = rows.iter().find(|r| r.day == d.number)?;
            let failed = scale(r.failed, max);
            let rejected = scale(r.rejected, max);
            let quarantined = scale(r.quarantined, max);
            let y_failed = CHART_HEIGHT.saturating_sub(failed);
            let y_rejected = y_failed.saturating_sub(rejected);
            Some(FailureBars {
                x: left_edge(i),
                title: format!(
                    "{}: {} failed, {} rejected, {} quarantined",
                    d.day, r.failed, r.rejected, r.quarantined
                ),
                failed,
                y_failed,
                rejected,
                y_rejected,
                quarantined,
                y_quarantined: y_rejected.saturating_sub(quarantined),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(number: i64, d: &str, i: i64, o: i64, f: i64) -> DayRow {
        DayRow {
            number,
            day: d.into(),
            inbound: i,
            outbound: o,
            failed: f,
        }
    }

    #[test]
    fn bars_scale_to_the_busiest_day_and_show_a_sliver_for_little() {
        let bars = traffic(&[
            day(2, "2026-12-06", 1000, 500, 1),
            day(1, "2026-12-07", 0, 0, 0),
        ]);
        assert_eq!(bars.len(), 2);
        assert_eq!(
            (bars[0].inbound, bars[0].outbound, bars[0].failed),
            (100, 50, 1)
        );
        assert_eq!(
            (bars[1].inbound, bars[1].outbound, bars[1].failed),
            (0, 0, 0)
        );
        assert_eq!((bars[0].x, bars[1].x), (0, DAY_WIDTH));
        assert_eq!(bars[0].label, "12-06");
        assert_eq!(bars[0].title, "2026-12-06: 1000 in, 500 out, 1 failed");
    }

    #[test]
    fn latency_bars_sit_on_their_traffic_day_and_scale_to_the_slowest_p95() {
        let days = [
            day(20_794, "2026-12-07", 5, 5, 0),
            day(20_793, "2026-12-06", 3, 3, 0),
            day(20_792, "2026-12-05", 1, 0, 1),
        ];
        let rows = [
            DayLatency {
                day: 20_793,
                delivered: 3,
                median_ms: 2_000,
                p95_ms: 8_000,
                max_ms: 600_000,
            },
            DayLatency {
                day: 20_794,
                delivered: 5,
                median_ms: 400,
                p95_ms: 2_000,
                max_ms: 2_000,
            },
        ];
        let (bars, table) = latency(&days, &rows);
        assert_eq!(bars.len(), 2, "nothing delivered on the 5th");
        assert_eq!((bars[0].x, bars[1].x), (0, DAY_WIDTH));
        assert_eq!((bars[0].median, bars[0].p95), (5, 25));
        assert_eq!((bars[1].median, bars[1].p95), (25, 100));
        assert_eq!(
            bars[1].title,
            "2026-12-06: 3 delivered, median 2.0 s, p95 8.0 s, max 10 min"
        );
        assert_eq!(table[0].median, "400 ms");
    }

    #[test]
    fn failures_stack_from_the_bottom_scaled_to_the_worst_day() {
        let days = [day(2, "2026-12-07", 9, 0, 4), day(1, "2026-12-06", 2, 0, 0)];
        let rows = [DayFailures {
            day: 2,
            failed: 2,
            rejected: 1,
            quarantined: 1,
        }];
        let bars = failures(&days, &rows);
        assert_eq!(bars.len(), 1);
        let b = &bars[0];
        assert_eq!((b.failed, b.rejected, b.quarantined), (50, 25, 25));
        assert_eq!((b.y_failed, b.y_rejected, b.y_quarantined), (50, 25, 0));
        assert_eq!(b.title, "2026-12-07: 2 failed, 1 rejected, 1 quarantined");
    }
}
