//! Aggregates over a group of countries (global, a continent, a region): means and standard
//! deviations of the members' unrounded values, medians and extremes of their published
//! values, each rounded half up once, at the end. No binary floating point anywhere: the
//! square root of the standard deviation is settled exactly on integers.
use super::{round_half_up, Exact};
use rust_decimal::Decimal;

/// What the API publishes about a group for one indicator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Aggregate {
    pub count: usize,
    /// The exact mean, kept for changes between editions (rounded only at the edge).
    pub exact_mean: Exact,
    pub mean: Decimal,
    pub median: Decimal,
    pub min: Decimal,
    pub max: Decimal,
    /// Population standard deviation (divided by the count, not count − 1): the group is the
    /// whole membership, not a sample of it.
    pub standard_deviation: Decimal,
}

/// The aggregate of the members' unrounded values; `None` for an empty group.
pub fn aggregate(values: &[Exact]) -> Option<Aggregate> {
    let count = values.len();
    if count == 0 {
        return None;
    }
    let n = Exact::from_integer(count as i128);
    let exact_mean = mean(values)?;
    let variance = values.iter().map(|v| (v - exact_mean) * (v - exact_mean)).sum::<Exact>() / n;

    // medians and extremes are of the published 2-decimal values, in hundredths
    let mut published: Vec<i128> = values.iter().map(|v| hundredths(round_half_up(*v))).collect();
    published.sort_unstable();
    let middle = published.len() / 2;
    let median = if published.len() % 2 == 1 {
        Exact::new(published[middle], 100)
    } else {
        Exact::new(published[middle - 1] + published[middle], 200)
    };
    Some(Aggregate {
        count,
        exact_mean,
        mean: round_half_up(exact_mean),
        median: round_half_up(median),
        min: Decimal::from_i128_with_scale(published[0], 2),
        max: Decimal::from_i128_with_scale(published[published.len() - 1], 2),
        standard_deviation: sqrt_half_up(variance),
    })
}

/// The exact arithmetic mean; `None` for no values.
pub fn mean(values: &[Exact]) -> Option<Exact> {
    if values.is_empty() {
        return None;
    }
    Some(values.iter().sum::<Exact>() / Exact::from_integer(values.len() as i128))
}

/// A published (2-decimal) value in hundredths.
fn hundredths(value: Decimal) -> i128 {
    let mut value = value;
    value.rescale(2);
    value.mantissa()
}

/// √x rounded half up to 2 decimals, exactly. With s = 100·√x, the answer is ⌊s + ½⌋ / 100:
/// m = ⌊s⌋ is the integer square root of ⌊10⁴·p/q⌋ (for x = p/q), and s ≥ m + ½ exactly when
/// (2m + 1)²·q ≤ 4·10⁴·p, an integer comparison. Negative input (impossible for a variance)
/// gives 0.
pub fn sqrt_half_up(x: Exact) -> Decimal {
    let (p, q) = (*x.numer(), *x.denom());
    if p <= 0 {
        return Decimal::ZERO;
    }
    let scaled = 10_000 * p;
    let m = (scaled / q).isqrt();
    let rounded = if (2 * m + 1) * (2 * m + 1) * q <= 4 * scaled { m + 1 } else { m };
    Decimal::from_i128_with_scale(rounded, 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn halves(twice: &[i128]) -> Vec<Exact> {
        twice.iter().map(|&t| Exact::new(t, 2)).collect()
    }

    #[test]
    fn the_mean_is_of_unrounded_values_rounded_once() {
        // 4.336 and 4.333 publish as 4.34 and 4.33, whose mean would print 4.34; the mean of
        // the unrounded values is 4.3345, published 4.33
        let values = vec![Exact::new(4336, 1000), Exact::new(4333, 1000), Exact::new(4333, 1000)];
        let agg = aggregate(&values[..2]).unwrap();
        assert_eq!(agg.mean, dec!(4.33));
        let agg = aggregate(&values).unwrap();
        assert_eq!(agg.count, 3);
    }

    #[test]
    fn medians_and_extremes_are_of_published_values() {
        let agg = aggregate(&halves(&[2, 9, 4, 20])).unwrap(); // 1.0 4.5 2.0 10.0
        assert_eq!(agg.median, dec!(3.25)); // (2.00 + 4.50) / 2
        assert_eq!(agg.min, dec!(1.00));
        assert_eq!(agg.max, dec!(10.00));
        // an even median of two published values can fall on a half hundredth: 4.335 → 4.34
        let agg = aggregate(&[Exact::new(433, 100), Exact::new(434, 100)]).unwrap();
        assert_eq!(agg.median, dec!(4.34));
    }

    #[test]
    fn the_standard_deviation_is_the_population_one() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, population variance 4, deviation 2 (sample: 2.14)
        let agg = aggregate(&halves(&[4, 8, 8, 8, 10, 10, 14, 18])).unwrap();
        assert_eq!(agg.standard_deviation, dec!(2.00));
        assert_eq!(aggregate(&halves(&[7])).unwrap().standard_deviation, dec!(0.00));
    }

    #[test]
    fn square_roots_round_half_up_exactly() {
        assert_eq!(sqrt_half_up(Exact::from_integer(2)), dec!(1.41)); // 1.41421…
        assert_eq!(sqrt_half_up(Exact::from_integer(3)), dec!(1.73)); // 1.73205…
        assert_eq!(sqrt_half_up(Exact::new(1, 9)), dec!(0.33));
        assert_eq!(sqrt_half_up(Exact::new(4, 9)), dec!(0.67)); // 0.6666…
                                                                // exactly on the half: √0.990025 = 0.995 → 1.00; just below it stays down
        assert_eq!(sqrt_half_up(Exact::new(990_025, 1_000_000)), dec!(1.00));
        assert_eq!(sqrt_half_up(Exact::new(990_024, 1_000_000)), dec!(0.99));
        assert_eq!(sqrt_half_up(Exact::new(11025, 10_000)), dec!(1.05)); // exactly 1.05
        assert_eq!(sqrt_half_up(Exact::from_integer(0)), dec!(0.00));
        assert_eq!(sqrt_half_up(Exact::from_integer(100)), dec!(10.00));
    }
}
