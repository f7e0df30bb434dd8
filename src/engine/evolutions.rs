//! Evolutions, ranks and gaps to the reference, computed over the sorted
//! results in plain passes over their columns: the rows come sorted by
//! series (territory, indicator) then vintage, so a row's previous vintage
//! is the row before it; ranks are one sort of the rankable values by
//! partition (level, indicator, vintage); reference values are a table
//! indexed by (indicator, vintage).

use anyhow::Result;
use polars::prelude::*;
use rayon::prelude::*;

use super::results::COLUMNS;
use crate::geo::Level;
use crate::status::Status;

/// Adds `prev_vintage`, `evol_abs`, `evol_pct`, `evol_status`, `rank`,
/// `rank_total`, `reference_code` and `gap_reference` to the sorted rows of
/// [`super::complete_and_sort`] and returns the results table's columns.
/// `reference_rank` is the reference territory's rank in the universe (None:
/// no row of it, hence no gap).
pub(super) fn add_evolutions_ranks_gaps(
    sorted: DataFrame,
    reference: &str,
    reference_rank: Option<u32>,
) -> Result<DataFrame> {
    let n = sorted.height();
    let series: Vec<u64> = sorted
        .column("#series")?
        .u64()?
        .into_no_null_iter()
        .collect();
    let iv: Vec<u64> = sorted.column("#iv")?.u64()?.into_no_null_iter().collect();
    let vintage: Vec<Option<i32>> = sorted.column("vintage")?.i32()?.iter().collect();
    let value: Vec<Option<f64>> = sorted.column("value")?.f64()?.iter().collect();
    let status: Vec<u32> = sorted
        .column("status")?
        .u32()?
        .iter()
        .map(|s| s.unwrap_or(Status::Missing.code()))
        .collect();
    let level: Vec<u32> = sorted
        .column("#level")?
        .u32()?
        .iter()
        .map(|l| l.unwrap_or(0))
        .collect();
    let relative: Vec<bool> = sorted
        .column("relative_evol")?
        .bool()?
        .iter()
        .map(|r| r.unwrap_or(false))
        .collect();
    let ok = Status::Ok.code();

    // Previous vintage of the same series: the row before.
    let mut prev_vintage: Vec<Option<i32>> = vec![None; n];
    let mut evol_abs: Vec<Option<f64>> = vec![None; n];
    let mut evol_pct: Vec<Option<f64>> = vec![None; n];
    let mut evol_status: Vec<Option<u32>> = vec![None; n];
    for k in 1..n {
        if series[k] != series[k - 1] {
            continue;
        }
        prev_vintage[k] = vintage[k - 1];
        if prev_vintage[k].is_none() || vintage[k].is_none() {
            continue;
        }
        let st = status[k].max(status[k - 1]);
        evol_status[k] = Some(st);
        if st != ok {
            continue;
        }
        if let (Some(x), Some(p)) = (value[k], value[k - 1]) {
            evol_abs[k] = Some(x - p);
            if relative[k] && p != 0.0 {
                evol_pct[k] = Some(100.0 * (x - p) / p.abs());
            }
        }
    }

    // Ranks (1 = highest value, ties share the lowest rank) and counts
    // within each (indicator, vintage, level), over the ok values of the
    // ranked levels.
    let ranked: Vec<bool> = (0..16u32)
        .map(|l| Level::ALL.iter().any(|x| x.number() == l && x.is_ranked()))
        .collect();
    let part = |k: usize| iv[k] * 16 + level[k] as u64;
    let mut rankable: Vec<(u64, f64, u32)> = (0..n)
        .filter(|&k| status[k] == ok && ranked.get(level[k] as usize).copied().unwrap_or(false))
        .filter_map(|k| value[k].map(|v| (part(k), v + 0.0, k as u32)))
        .collect();
    rankable.par_sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
    let mut rank: Vec<Option<u32>> = vec![None; n];
    let mut rank_total: Vec<Option<u32>> = vec![None; n];
    let mut start = 0;
    while start < rankable.len() {
        let end = start + rankable[start..].partition_point(|r| r.0 == rankable[start].0);
        let total = (end - start) as u32;
        let mut current = 1;
        for j in start..end {
            if j > start && rankable[j].1 != rankable[j - 1].1 {
                current = (j - start + 1) as u32;
            }
            let k = rankable[j].2 as usize;
            rank[k] = Some(current);
            rank_total[k] = Some(total);
        }
        start = end;
    }
    drop(rankable);

    // The reference territory's ok values, by (indicator, vintage).
    let mut reference_value: PlHashMap<u64, f64> = PlHashMap::new();
    if let Some(r) = reference_rank {
        for k in 0..n {
            if series[k] >> 16 == r as u64 && status[k] == ok {
                if let Some(v) = value[k] {
                    reference_value.entry(iv[k]).or_insert(v);
                }
            }
        }
    }
    let gap: Vec<Option<f64>> = (0..n)
        .map(|k| {
            let v = value[k].filter(|_| status[k] == ok)?;
            Some(v - reference_value.get(&iv[k])?)
        })
        .collect();

    let mut out = sorted;
    out.with_column(Column::new(
        "status".into(),
        status_texts(status.into_iter().map(Some))?,
    ))?;
    out.with_column(Column::new("prev_vintage".into(), prev_vintage))?;
    out.with_column(Column::new("evol_abs".into(), evol_abs))?;
    out.with_column(Column::new("evol_pct".into(), evol_pct))?;
    out.with_column(Column::new(
        "evol_status".into(),
        status_texts(evol_status.into_iter())?,
    ))?;
    out.with_column(Column::new("rank".into(), rank))?;
    out.with_column(Column::new("rank_total".into(), rank_total))?;
    out.with_column(Column::new_scalar(
        "reference_code".into(),
        Scalar::new(DataType::String, AnyValue::StringOwned(reference.into())),
        n,
    ))?;
    out.with_column(Column::new("gap_reference".into(), gap))?;
    Ok(out.select(COLUMNS)?)
}

/// The statuses as their identifiers (`ok`, `secret`…): views of four
/// texts, gathered by code.
fn status_texts(codes: impl Iterator<Item = Option<u32>>) -> Result<Series> {
    let texts = StringChunked::from_iter_values("".into(), Status::ALL.iter().map(|s| s.as_str()));
    let index: IdxCa = codes.map(|c| c.map(|c| c as IdxSize)).collect();
    Ok(texts.take(&index)?.into_series())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evolutions_ties_and_gaps() {
        // Series A and B (communes), then C (France, the reference, not
        // ranked); one indicator, 2015 then 2021.
        let commune = Level::Commune.number();
        let france = Level::France.number();
        let (ok, secret) = (Status::Ok.code(), Status::Secret.code());
        let series = |t: u64| t << 16;
        let iv = |y: u64| y - 1900;
        let n = 6;
        let mut df = df!(
            "#series" => [series(0), series(0), series(1), series(1), series(2), series(2)],
            "#iv" => [iv(2015), iv(2021), iv(2015), iv(2021), iv(2015), iv(2021)],
            "vintage" => [2015, 2021, 2015, 2021, 2015, 2021],
            "value" => [Some(10.0), Some(12.0), Some(10.0), None, Some(5.0), Some(6.0)],
            "status" => [ok, ok, ok, secret, ok, ok],
            "#level" => [commune, commune, commune, commune, france, france],
            "relative_evol" => [true; 6],
        )
        .unwrap();
        for c in COLUMNS {
            if df.column(c).is_err() {
                df.with_column(Column::full_null(c.into(), n, &DataType::String))
                    .unwrap();
            }
        }
        let out = add_evolutions_ranks_gaps(df, "C", Some(2)).unwrap();
        let f64s = |c: &str| {
            out.column(c)
                .unwrap()
                .f64()
                .unwrap()
                .iter()
                .collect::<Vec<_>>()
        };
        let u32s = |c: &str| {
            out.column(c)
                .unwrap()
                .u32()
                .unwrap()
                .iter()
                .collect::<Vec<_>>()
        };
        let texts = |c: &str| {
            out.column(c)
                .unwrap()
                .str()
                .unwrap()
                .iter()
                .map(|s| s.unwrap_or("-").to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            f64s("evol_abs"),
            [None, Some(2.0), None, None, None, Some(1.0)]
        );
        assert_eq!(
            f64s("evol_pct"),
            [None, Some(20.0), None, None, None, Some(20.0)]
        );
        assert_eq!(texts("evol_status"), ["-", "ok", "-", "secret", "-", "ok"]);
        assert_eq!(texts("status"), ["ok", "ok", "ok", "secret", "ok", "ok"]);
        // A and B tie in 2015: both first of two; France is not ranked.
        assert_eq!(u32s("rank"), [Some(1), Some(1), Some(1), None, None, None]);
        assert_eq!(
            u32s("rank_total"),
            [Some(2), Some(1), Some(2), None, None, None]
        );
        assert_eq!(
            f64s("gap_reference"),
            [Some(5.0), Some(6.0), Some(5.0), None, Some(0.0), Some(0.0)]
        );
        assert_eq!(texts("reference_code"), ["C"; 6]);
        assert_eq!(out.get_column_names(), COLUMNS);
    }
}
