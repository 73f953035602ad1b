//! The retry-once discipline every connector follows: an attempt may ask for
//! one more, and the second attempt's answer is final. What is worth a
//! second try (a refused token, a transient failure, an answer that a
//! look-up shows did not take effect) stays with the caller.

/// What an attempt decided.
pub enum Attempt<T> {
    /// The outcome, final.
    Done(T),
    /// Worth one more attempt. Only the first attempt may say so.
    Again,
}

/// Runs `attempt(last)` once, and once more if it answers [`Attempt::Again`]
/// (then with `last` true). With `retry` false, the single attempt is the
/// last. An attempt that asks for another when told it is the last is a bug
/// in the caller.
pub fn at_most_twice<T>(retry: bool, mut attempt: impl FnMut(bool) -> Attempt<T>) -> T {
    if retry && let Attempt::Done(value) = attempt(false) {
        return value;
    }
    match attempt(true) {
        Attempt::Done(value) => value,
        Attempt::Again => unreachable!("an attempt asked for another after the last"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_attempt_only_when_asked_and_allowed() {
        let mut seen = Vec::new();
        let out = at_most_twice(true, |last| {
            seen.push(last);
            if last {
                Attempt::Done(2)
            } else {
                Attempt::Again
            }
        });
        assert_eq!((out, seen), (2, vec![false, true]));

        let mut seen = Vec::new();
        let out = at_most_twice(true, |last| {
            seen.push(last);
            Attempt::Done(1)
        });
        assert_eq!((out, seen), (1, vec![false]));

        let mut seen = Vec::new();
        let out = at_most_twice(false, |last| {
            seen.push(last);
            Attempt::Done(0)
        });
        assert_eq!(
            (out, seen),
            (0, vec![true]),
            "no retry: the one attempt is the last"
        );
    }
}
