//! "Did you mean …?": the nearest known name to a misspelled one, by edit distance.

/// The known name nearest to `input`, if it is close enough to be a likely typo.
///
/// Distance is optimal string alignment (Levenshtein plus adjacent transpositions),
/// compared case-insensitively; "close enough" is at most a third of the longer name's
/// length (and at least 1).
pub(crate) fn did_you_mean<'a>(
    input: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let input_lower = input.to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for candidate in known {
        let candidate_lower = candidate.to_lowercase();
        if candidate_lower == input_lower && candidate != input {
            return Some(candidate);
        }
        let distance = distance(&input_lower, &candidate_lower);
        let limit = (input_lower
            .chars()
            .count()
            .max(candidate_lower.chars().count())
            / 3)
        .max(1);
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, name)| name)
}

/// Optimal string alignment distance between two strings, by characters.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Rows i-2, i-1 and i of the dynamic-programming table.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current: Vec<usize> = vec![0; b.len() + 1];
    for (i, &ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let mut d = (previous[j] + cost)
                .min(previous[j + 1] + 1)
                .min(current[j] + 1);
            if i > 0 && j > 0 && a.get(i - 1) == Some(&cb) && b.get(j - 1) == Some(&ca) {
                d = d.min(before[j - 1] + 1);
            }
            current[j + 1] = d;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// `` `a`, `b` or `c` `` for messages listing the accepted names.
pub(crate) fn one_of<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<String> = names.into_iter().map(|n| format!("`{n}`")).collect();
    match names.split_last() {
        None => "nothing".to_owned(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("plian", "plain"), 1);
        assert_eq!(distance("same", "same"), 0);
    }

    #[test]
    fn suggestions() {
        let types = ["file", "rotating_file", "stream", "null"];
        assert_eq!(did_you_mean("rotating_fil", types), Some("rotating_file"));
        assert_eq!(did_you_mean("STREAM", types), Some("stream"));
        assert_eq!(did_you_mean("socket", types), None);
        assert_eq!(did_you_mean("inf", ["info", "warn"]), Some("info"));
        assert_eq!(one_of(["a", "b", "c"]), "`a`, `b` or `c`");
        assert_eq!(one_of(["a"]), "`a`");
    }
}
