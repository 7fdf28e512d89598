//! Seasonality detection by autocorrelation.

/// Autocorrelation of `xs` at `lag` (0 for constant series or lags past the end).
pub fn autocorrelation(xs: &[f64], lag: usize) -> f64 {
    if lag >= xs.len() {
        return 0.0;
    }
    let mean = xs.iter().sum::<f64>() / xs.len() as f64;
    let var: f64 = xs.iter().map(|x| (x - mean) * (x - mean)).sum();
    if var <= f64::EPSILON {
        return 0.0;
    }
    let cov: f64 = xs
        .iter()
        .zip(&xs[lag..])
        .map(|(a, b)| (a - mean) * (b - mean))
        .sum();
    cov / var
}

/// The season length in `2..=max_period` with the strongest autocorrelation peak, if above `min_acf`
/// and needing at least two full seasons of data.
pub fn detect_period(xs: &[f64], max_period: usize, min_acf: f64) -> Option<usize> {
    let limit = max_period.min(xs.len() / 2);
    let acf: Vec<f64> = (0..=limit + 1)
        .map(|lag| autocorrelation(xs, lag))
        .collect();
    (2..=limit)
        .filter(|&p| acf[p] >= min_acf && acf[p] >= acf[p - 1] && acf[p] >= acf[p + 1])
        .max_by(|&a, &b| acf[a].total_cmp(&acf[b]).then(b.cmp(&a)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_period_of_a_noisy_cycle() {
        let xs: Vec<f64> = (0..600)
            .map(|i| {
                (f64::from(i) * std::f64::consts::TAU / 24.0).sin() * 10.0
                    + f64::from((i * 7919) % 13) * 0.2
            })
            .collect();
        assert_eq!(detect_period(&xs, 100, 0.3), Some(24));
    }

    #[test]
    fn no_period_in_a_trend_free_constant() {
        assert_eq!(detect_period(&[5.0; 200], 50, 0.3), None);
    }
}
