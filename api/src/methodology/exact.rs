//! Exact values: entered half steps and the rational means built from them.
use num_rational::Ratio;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::fmt;

/// An exact figure. Means of half steps are rationals (65/15 is 4.333…), so they are kept as
/// fractions until the edge, where [`round_half_up`] makes the published 2-decimal value.
pub type Exact = Ratio<i128>;

/// An entered score: 1.0 to 10.0 in steps of 0.5. Holding one proves the value is valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HalfStep(u8); // twice the score, 2..=20

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScoreError {
    #[error("{0} is outside the scale: scores run from 1.0 to 10.0")]
    OutOfRange(Decimal),
    #[error("{0} is not a half step: scores are whole or half numbers (4.0, 4.5)")]
    NotHalfStep(Decimal),
}

impl HalfStep {
    pub fn parse(value: Decimal) -> Result<Self, ScoreError> {
        if value < Decimal::ONE || value > Decimal::TEN {
            return Err(ScoreError::OutOfRange(value.normalize()));
        }
        let doubled = value * Decimal::TWO;
        if doubled.fract() != Decimal::ZERO {
            return Err(ScoreError::NotHalfStep(value.normalize()));
        }
        let doubled = doubled.to_u8().expect("2..=20 after the range check");
        Ok(Self(doubled))
    }

    pub fn exact(self) -> Exact {
        Exact::new(i128::from(self.0), 2)
    }

    pub fn to_decimal(self) -> Decimal {
        Decimal::new(i64::from(self.0) * 5, 1)
    }
}

impl fmt::Display for HalfStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.1}", self.to_decimal())
    }
}

/// Rounds to 2 decimals, half away from zero: the way the Index publishes every figure.
pub fn round_half_up(value: Exact) -> Decimal {
    let hundredths = value * Exact::from_integer(100);
    let (num, den) = (hundredths.numer().abs(), *hundredths.denom());
    // floor(|x| + 1/2) = floor((2·num + den) / (2·den)); the denominator is kept positive
    let magnitude = (2 * num + den) / (2 * den);
    let signed = if hundredths < Exact::from_integer(0) { -magnitude } else { magnitude };
    Decimal::from_i128_with_scale(signed, 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn ratio(n: i128, d: i128) -> Exact {
        Exact::new(n, d)
    }

    #[test]
    fn half_steps_from_one_to_ten_are_scores() {
        assert_eq!(HalfStep::parse(dec!(4.5)).unwrap().exact(), ratio(9, 2));
        assert_eq!(HalfStep::parse(dec!(1)).unwrap().to_decimal(), dec!(1.0));
        assert_eq!(HalfStep::parse(dec!(10.00)).unwrap().to_decimal(), dec!(10.0));
        assert_eq!(HalfStep::parse(dec!(7.50)).unwrap().to_string(), "7.5");
    }

    #[test]
    fn anything_else_is_refused_with_the_reason() {
        assert_eq!(HalfStep::parse(dec!(11)), Err(ScoreError::OutOfRange(dec!(11))));
        assert_eq!(HalfStep::parse(dec!(0.5)), Err(ScoreError::OutOfRange(dec!(0.5))));
        assert_eq!(HalfStep::parse(dec!(10.5)), Err(ScoreError::OutOfRange(dec!(10.5))));
        assert_eq!(HalfStep::parse(dec!(4.3)), Err(ScoreError::NotHalfStep(dec!(4.3))));
        assert_eq!(HalfStep::parse(dec!(4.25)), Err(ScoreError::NotHalfStep(dec!(4.25))));
    }

    #[test]
    fn rounding_is_half_up_and_away_from_zero_for_negatives() {
        assert_eq!(round_half_up(ratio(65, 15)), dec!(4.33));
        assert_eq!(round_half_up(ratio(9, 40)), dec!(0.23)); // 0.225
        assert_eq!(round_half_up(ratio(-9, 40)), dec!(-0.23));
        assert_eq!(round_half_up(ratio(-1, 4)), dec!(-0.25));
        assert_eq!(round_half_up(ratio(4375, 1000)), dec!(4.38));
        assert_eq!(round_half_up(ratio(67, 15)), dec!(4.47)); // 4.4666…
        assert_eq!(round_half_up(ratio(-1, 300)), dec!(0.00));
        assert_eq!(round_half_up(ratio(10, 1)), dec!(10.00));
    }
}
