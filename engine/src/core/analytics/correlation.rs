//! Pearson correlation between rate series, searched over a range of lags.

use serde::Serialize;

/// Pearson correlation of two equally long slices (`None` if either is constant or too short).
pub fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    let n = a.len().min(b.len());
    if n < 3 {
        return None;
    }
    let (a, b) = (&a[..n], &b[..n]);
    let ma = a.iter().sum::<f64>() / n as f64;
    let mb = b.iter().sum::<f64>() / n as f64;
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        cov += (x - ma) * (y - mb);
        va += (x - ma) * (x - ma);
        vb += (y - mb) * (y - mb);
    }
    (va > f64::EPSILON && vb > f64::EPSILON).then(|| cov / (va * vb).sqrt())
}

/// The strongest correlation of two series over lags `-max_lag..=max_lag`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LaggedCorrelation {
    /// Pearson coefficient.
    pub coefficient: f64,
    /// Steps by which `b` follows `a` (negative: `b` leads).
    pub lag: i64,
}

/// Searches lags; a positive lag compares `a[t]` with `b[t + lag]`.
pub fn best_lag(a: &[f64], b: &[f64], max_lag: usize) -> Option<LaggedCorrelation> {
    let n = a.len().min(b.len());
    let mut best: Option<LaggedCorrelation> = None;
    for lag in -(max_lag as i64)..=(max_lag as i64) {
        let shift = lag.unsigned_abs() as usize;
        if shift + 3 > n {
            continue;
        }
        let (x, y) = if lag >= 0 {
            (&a[..n - shift], &b[shift..n])
        } else {
            (&a[shift..n], &b[..n - shift])
        };
        if let Some(r) = pearson(x, y)
            && best.is_none_or(|b| r.abs() > b.coefficient.abs() + 1e-12)
        {
            best = Some(LaggedCorrelation {
                coefficient: r,
                lag,
            });
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_and_inverse() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        let b = [2.0, 4.0, 6.0, 8.0, 10.0];
        let c = [5.0, 4.0, 3.0, 2.0, 1.0];
        assert!((pearson(&a, &b).expect("r") - 1.0).abs() < 1e-12);
        assert!((pearson(&a, &c).expect("r") + 1.0).abs() < 1e-12);
        assert!(pearson(&a, &[1.0; 5]).is_none());
    }

    #[test]
    fn finds_the_lag() {
        let a: Vec<f64> = (0..200).map(|i| f64::from((i * 7919) % 101)).collect();
        let mut b = vec![0.0; 3];
        b.extend_from_slice(&a[..197]);
        let best = best_lag(&a, &b, 5).expect("correlated");
        assert_eq!(best.lag, 3);
        assert!((best.coefficient - 1.0).abs() < 1e-9);
    }
}
