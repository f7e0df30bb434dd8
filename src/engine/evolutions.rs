//! Evolutions, ranks and gaps to the reference, computed over the sorted
//! results in plain passes over their columns: the rows come sorted by
//! series (territory, indicator) then vintage, so a row's previous vintage
//! is the row before it; ranks are one sort of the rankable values by
//! partition (level, indicator, vintage); reference values are a table
//! indexed by (indicator, vintage).

use anyhow::Result;
use crate::schema;
use polars::prelude::*;
use rayon::prelude::*;

use super::sort::{self, SeriesKey};
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
    // Read through sequential iterators, written through builders: no
    // intermediate vector of options per column (a dozen columns of 2,5 M
    // rows at national scale).
    let ok = Status::Ok.code();
    let rows = || sorted_rows(&sorted);
    // Previous vintage of the same series: the row before. Meanwhile, the
    // rankable values (ok, on a ranked level) with their partition, and the
    // reference territory's ok values by (indicator, vintage).
    let mut prev_vintage = PrimitiveChunkedBuilder::<Int32Type>::new(schema::PREV_VINTAGE.into(), n);
    let mut evol_abs = PrimitiveChunkedBuilder::<Float64Type>::new(schema::EVOL_ABS.into(), n);
    let mut evol_pct = PrimitiveChunkedBuilder::<Float64Type>::new(schema::EVOL_PCT.into(), n);
    let mut evol_status: Vec<Option<u32>> = Vec::with_capacity(n);
    let mut rankable: Vec<(u64, f64, u32)> = vec![];
    let mut reference_value: PlHashMap<u64, f64> = PlHashMap::new();
    let mut previous: Option<Row> = None;
    for (k, row) in rows()?.enumerate() {
        let Row { series, iv, vintage: y, value: x, status: st, level, relative } = row;
        let mut evolution = (None, None, None, None);
        if let Some(Row { series: p_series, vintage: p_y, value: p_x, status: p_st, .. }) = previous {
            if p_series == series {
                evolution.0 = p_y;
                if p_y.is_some() && y.is_some() {
                    let e = st.max(p_st);
                    evolution.3 = Some(e);
                    if let (true, Some(x), Some(p)) = (e == ok, x, p_x) {
                        evolution.1 = Some(x - p);
                        if relative && p != 0.0 {
                            evolution.2 = Some(100.0 * (x - p) / p.abs());
                        }
                    }
                }
            }
        }
        prev_vintage.append_option(evolution.0);
        evol_abs.append_option(evolution.1);
        evol_pct.append_option(evolution.2);
        evol_status.push(evolution.3);
        if let (true, Some(x)) = (st == ok, x) {
            // A level's number is its position in Level::ALL.
            if Level::ALL
                .get(level as usize)
                .is_some_and(|l| l.is_ranked())
            {
                // +0.0: -0.0 and 0.0 tie.
                rankable.push((iv * 16 + level as u64, x + 0.0, k as u32));
            }
            if reference_rank.is_some_and(|r| series.territory() == r) {
                reference_value.entry(iv).or_insert(x);
            }
        }
        previous = Some(row);
    }

    // Ranks (1 = highest value, ties share the lowest rank) and counts
    // within each partition; 0 = not ranked.
    rankable.par_sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
    let mut rank = vec![0u32; n];
    let mut rank_total = vec![0u32; n];
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
            rank[k] = current;
            rank_total[k] = total;
        }
        start = end;
    }
    drop(rankable);
    let ranks = |name: &str, r: Vec<u32>| {
        UInt32Chunked::from_iter_options(name.into(), r.into_iter().map(|r| (r > 0).then_some(r)))
    };
    let gap: Float64Chunked = rows()?
        .map(|r| {
            let x = r.value.filter(|_| r.status == ok)?;
            Some(x - reference_value.get(&r.iv)?)
        })
        .collect();
    let status_text = status_texts(sorted.column(schema::STATUS)?.u32()?.iter())?;
    let (prev_vintage, evol_abs, evol_pct) =
        (prev_vintage.finish(), evol_abs.finish(), evol_pct.finish());
    let evol_status = status_texts(evol_status.into_iter())?;
    let (rank, rank_total) = (ranks(schema::RANK, rank), ranks(schema::RANK_TOTAL, rank_total));

    let mut out = sorted;
    out.with_column(status_text.with_name(schema::STATUS.into()).into_column())?;
    out.with_column(prev_vintage.into_column())?;
    out.with_column(evol_abs.into_column())?;
    out.with_column(evol_pct.into_column())?;
    out.with_column(evol_status.with_name(schema::EVOL_STATUS.into()).into_column())?;
    out.with_column(rank.into_column())?;
    out.with_column(rank_total.into_column())?;
    out.with_column(Column::new_scalar(
        schema::REFERENCE_CODE.into(),
        Scalar::new(DataType::String, AnyValue::StringOwned(reference.into())),
        n,
    ))?;
    out.with_column(gap.with_name(schema::GAP_REFERENCE.into()).into_column())?;
    Ok(out.select(schema::RESULTS)?)
}

/// One sorted row, as the evolutions, ranks and gaps read it.
#[derive(Clone, Copy)]
struct Row {
    series: SeriesKey,
    /// The (indicator, vintage) part of the sort key.
    iv: u64,
    vintage: Option<i32>,
    value: Option<f64>,
    status: u32,
    /// The level's number (its position in `Level::ALL`).
    level: u32,
    /// Whether the indicator has an evolution in %.
    relative: bool,
}

/// The sorted rows, through sequential iterators over their columns.
fn sorted_rows(sorted: &DataFrame) -> Result<impl Iterator<Item = Row> + '_> {
    let missing = Status::Missing.code();
    Ok(sorted
        .column(sort::SERIES)?
        .u64()?
        .iter()
        .zip(sorted.column(sort::INDICATOR_VINTAGE)?.u64()?.iter())
        .zip(sorted.column(schema::VINTAGE)?.i32()?.iter())
        .zip(sorted.column(schema::VALUE)?.f64()?.iter())
        .zip(sorted.column(schema::STATUS)?.u32()?.iter())
        .zip(sorted.column(schema::LEVEL_NUMBER)?.u32()?.iter())
        .zip(sorted.column("relative_evol")?.bool()?.iter())
        .map(move |((((((s, iv), y), v), st), l), r)| Row {
            series: SeriesKey(s.unwrap_or(u64::MAX)),
            iv: iv.unwrap_or(u64::MAX),
            vintage: y,
            value: v,
            status: st.unwrap_or(missing),
            level: l.unwrap_or(0),
            relative: r.unwrap_or(false),
        }))
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
        let key = |t: u32, y: i32| super::super::sort::SortKey::new(t, 0, Some(y)).unwrap();
        let series = |t: u32| key(t, 2015).series().0;
        let iv = |y: i32| key(0, y).indicator_vintage();
        let n = 6;
        let mut df = df!(
            sort::SERIES => [series(0), series(0), series(1), series(1), series(2), series(2)],
            sort::INDICATOR_VINTAGE => [iv(2015), iv(2021), iv(2015), iv(2021), iv(2015), iv(2021)],
            schema::VINTAGE => [2015, 2021, 2015, 2021, 2015, 2021],
            schema::VALUE => [Some(10.0), Some(12.0), Some(10.0), None, Some(5.0), Some(6.0)],
            schema::STATUS => [ok, ok, ok, secret, ok, ok],
            schema::LEVEL_NUMBER => [commune, commune, commune, commune, france, france],
            "relative_evol" => [true; 6],
        )
        .unwrap();
        for c in schema::RESULTS {
            if df.column(c).is_err() {
                df.with_column(Column::full_null(c.into(), n, &DataType::String))
                    .unwrap();
            }
        }
        let out = add_evolutions_ranks_gaps(df, "C", Some(2)).unwrap();
        use super::super::test_columns;
        let f64s = |c: &str| test_columns::f64s(&out, c);
        let u32s = |c: &str| test_columns::u32s(&out, c);
        let texts = |c: &str| test_columns::texts(&out, c);
        assert_eq!(
            f64s(schema::EVOL_ABS),
            [None, Some(2.0), None, None, None, Some(1.0)]
        );
        assert_eq!(
            f64s(schema::EVOL_PCT),
            [None, Some(20.0), None, None, None, Some(20.0)]
        );
        assert_eq!(texts(schema::EVOL_STATUS), ["-", "ok", "-", "secret", "-", "ok"]);
        assert_eq!(texts(schema::STATUS), ["ok", "ok", "ok", "secret", "ok", "ok"]);
        // A and B tie in 2015: both first of two; France is not ranked.
        assert_eq!(u32s(schema::RANK), [Some(1), Some(1), Some(1), None, None, None]);
        assert_eq!(
            u32s(schema::RANK_TOTAL),
            [Some(2), Some(1), Some(2), None, None, None]
        );
        assert_eq!(
            f64s(schema::GAP_REFERENCE),
            [Some(5.0), Some(6.0), Some(5.0), None, Some(0.0), Some(0.0)]
        );
        assert_eq!(texts(schema::REFERENCE_CODE), ["C"; 6]);
        assert_eq!(out.get_column_names(), schema::RESULTS);
    }
}
