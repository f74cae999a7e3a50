//! "Did you mean …?" for misspelled keys: the closest candidate by edit distance.

/// The candidate closest to `typo`, if it is close enough to be a plausible misspelling.
///
/// Close enough means at most one edit per three characters of the candidate, and at
/// least one edit allowed, so `reliabel` suggests `reliable` but `size` suggests nothing.
pub(crate) fn closest<'a>(typo: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let typo = typo.to_ascii_lowercase();
    candidates
        .iter()
        .map(|&candidate| (edit_distance(&typo, candidate), candidate))
        .filter(|&(distance, candidate)| distance <= (candidate.len() / 3).max(1))
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of
/// two adjacent characters each cost one, because a swap (`reliabel`) is the most
/// common typo and plain Levenshtein would count it as two.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // rows[i][j] = distance between a[..i] and b[..j]
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let substitution = usize::from(a[i - 1] != b[j - 1]);
            let mut best =
                (rows[i - 1][j] + 1).min(rows[i][j - 1] + 1).min(rows[i - 1][j - 1] + substitution);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: &[&str] = &["reliable", "unreliable", "ordered", "sequenced", "max_size", "id"];

    #[test]
    fn distance_counts_each_kind_of_edit_once() {
        assert_eq!(edit_distance("reliable", "reliable"), 0);
        assert_eq!(edit_distance("reliabel", "reliable"), 1);
        assert_eq!(edit_distance("ordred", "ordered"), 1);
        assert_eq!(edit_distance("maxsize", "max_size"), 1);
        assert_eq!(edit_distance("priorty", "priority"), 1);
        assert_eq!(edit_distance("", "id"), 2);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn closest_suggests_plausible_misspellings_only() {
        assert_eq!(closest("reliabel", KEYS), Some("reliable"));
        assert_eq!(closest("Unreliable", KEYS), Some("unreliable"));
        assert_eq!(closest("sequential", KEYS), None);
        assert_eq!(closest("size", KEYS), None);
        assert_eq!(closest("ib", KEYS), Some("id"));
    }
}
