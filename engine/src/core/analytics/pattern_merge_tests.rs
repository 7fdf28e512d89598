use super::*;

/// A deterministic database: `n` sequences over `alphabet` items, lengths 1..=`max_len`.
fn db(n: usize, alphabet: u32, max_len: u64, seed: u64) -> Vec<Vec<u32>> {
    let mut x = seed;
    let mut next = move || {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        x >> 33
    };
    (0..n)
        .map(|_| {
            let len = 1 + next() % max_len;
            (0..len)
                .map(|_| (next() % u64::from(alphabet)) as u32)
                .collect()
        })
        .collect()
}

/// The two phases over `shares`, as the fan-out runs them.
fn merged(shares: &[Vec<Vec<u32>>], ratio: f64, max_len: usize, limit: usize) -> Bounded {
    let phase1: Vec<Candidates> = shares
        .iter()
        .map(|s| candidates(s, ratio, max_len, limit * 4, 0))
        .collect();
    let (union, complete) = union(&phase1);
    let mut total = vec![0; union.len()];
    for share in shares {
        for (t, s) in total.iter_mut().zip(supports(share, &union)) {
            *t += s;
        }
    }
    let sessions = shares.iter().map(Vec::len).sum();
    let min_support = global_min_support(ratio, sessions);
    select(&union, &total, complete, min_support, max_len, limit)
}

fn single(all: &[Vec<u32>], ratio: f64, max_len: usize, limit: usize) -> Bounded {
    mine_complete(
        all,
        MineParams {
            min_support: global_min_support(ratio, all.len()),
            min_len: 1,
            max_len,
            limit,
        },
    )
}

#[test]
fn merged_shares_mine_exactly_what_one_database_mines() {
    for (seed, ratio, limit) in [
        (1, 0.1, 5_000),
        (2, 0.05, 5_000),
        (3, 0.2, 5_000),
        (4, 0.1, 40),
    ] {
        let all = db(600, 6, 8, seed);
        // Uneven shares, as partitions of sessions are.
        let shares = vec![
            all[..100].to_vec(),
            all[100..350].to_vec(),
            all[350..].to_vec(),
        ];
        let want = single(&all, ratio, 5, limit);
        assert!(
            !want.patterns.is_empty(),
            "seed {seed}: something is frequent"
        );
        assert_eq!(merged(&shares, ratio, 5, limit), want, "seed {seed}");
    }
}

#[test]
fn a_pattern_frequent_overall_but_in_no_share_is_found() {
    // [1, 2] is in 6 of 20 sequences (30%, frequent overall) and in none of share b.
    let mut a = vec![vec![1, 2]; 6];
    a.extend(vec![vec![3]; 4]);
    let b = vec![vec![4]; 10];
    let shares = vec![a.clone(), b.clone()];
    let all: Vec<Vec<u32>> = a.into_iter().chain(b).collect();
    let want = single(&all, 0.3, 3, 5_000);
    assert!(
        want.patterns
            .iter()
            .any(|p| p.items == [1, 2] && p.support == 6)
    );
    assert_eq!(merged(&shares, 0.3, 3, 5_000), want);
}

#[test]
fn supports_count_subsequence_containment_per_sequence() {
    let db = vec![vec![1, 2, 3], vec![1, 3, 2], vec![2, 1, 3, 3], vec![4]];
    let got = supports(&db, &[vec![1, 3], vec![3, 3], vec![], vec![2, 1], vec![5]]);
    assert_eq!(got, vec![3, 1, 4, 1, 0]);
}

#[test]
fn thresholds_round_the_safe_way() {
    assert_eq!(global_min_support(0.1, 1_000), 100);
    assert_eq!(global_min_support(0.1, 3), 2, "at least 2");
    assert_eq!(local_threshold(0.1, 333), 33);
    assert_eq!(local_threshold(0.1, 5), 1, "at least 1");
}

#[test]
fn candidates_cut_below_the_needed_length_make_the_answer_say_truncated() {
    let c = Candidates {
        sessions: 4,
        generation: 0,
        complete_len: 1,
        patterns: vec![vec![1], vec![2]],
    };
    let (union, complete) = union(&[c]);
    let got = select(&union, &[4, 4], complete, 2, 3, 5_000);
    assert_eq!((got.complete_len, got.truncated), (1, true));
    assert_eq!(got.patterns.len(), 2);
}
