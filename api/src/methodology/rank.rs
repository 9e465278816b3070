//! Competition ranks ("1, 2, 2, 4") on published values, highest first.
use rust_decimal::Decimal;

/// Ranks `values` in descending order; ties share a rank and the next rank skips.
/// Returns one rank per input, in input order.
pub fn competition_ranks(values: &[Decimal]) -> Vec<i32> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[b].cmp(&values[a]));
    let mut ranks = vec![0; values.len()];
    for (position, &index) in order.iter().enumerate() {
        ranks[index] = match position {
            0 => 1,
            _ if values[order[position - 1]] == values[index] => ranks[order[position - 1]],
            _ => position as i32 + 1,
        };
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn ties_share_a_rank_and_the_next_skips() {
        let values = [dec!(5.33), dec!(6.00), dec!(5.33), dec!(4.10), dec!(6.00), dec!(5.32)];
        assert_eq!(competition_ranks(&values), vec![3, 1, 3, 6, 1, 5]);
    }

    #[test]
    fn an_empty_group_has_no_ranks() {
        assert!(competition_ranks(&[]).is_empty());
    }
}
