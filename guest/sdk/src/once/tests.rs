use std::cell::{Cell, RefCell};

use super::*;
use crate::testing::TestPlatform;

/// A scripted back office: each `act` answers the next of `acts`, each
/// `look` the next of `looks`; the mark as stored is kept.
struct Script {
    acts: RefCell<Vec<Result<u32, PluginError>>>,
    looks: RefCell<Vec<Result<Seen<u32>, PluginError>>>,
    acted: Cell<u32>,
    mark: Cell<bool>,
}

fn run(
    marked: bool,
    acts: Vec<Result<u32, PluginError>>,
    looks: Vec<Result<Seen<u32>, PluginError>>,
) -> (Result<u32, PluginError>, Script) {
    let s = Script {
        acts: RefCell::new(acts),
        looks: RefCell::new(looks),
        acted: Cell::new(0),
        mark: Cell::new(marked),
    };
    let p = TestPlatform::default();
    let once = Once {
        p: &p,
        what: "accepting quote Q1",
    };
    let r = once.run(
        marked,
        |on| s.mark.set(on),
        || {
            s.acted.set(s.acted.get() + 1);
            s.acts.borrow_mut().remove(0)
        },
        || s.looks.borrow_mut().remove(0),
    );
    (r, s)
}

fn lost() -> PluginError {
    PluginError::Unreachable("the answer was lost".into())
}

#[test]
fn a_first_attempt_acts_once_and_leaves_the_mark() {
    let (r, s) = run(false, vec![Ok(7)], vec![]);
    assert_eq!(r, Ok(7));
    assert_eq!(s.acted.get(), 1);
    assert!(s.mark.get(), "set before acting");
}

#[test]
fn a_marked_action_the_back_office_shows_done_is_not_done_again() {
    let (r, s) = run(true, vec![], vec![Ok(Seen::Done(7))]);
    assert_eq!((r, s.acted.get()), (Ok(7), 0));
}

#[test]
fn a_lost_answer_is_looked_up_before_anything_else() {
    // Done after all: the result comes from the look, no second act.
    let (r, s) = run(false, vec![Err(lost())], vec![Ok(Seen::Done(7))]);
    assert_eq!((r, s.acted.get()), (Ok(7), 1));
    // Not done: tried once more.
    let (r, s) = run(false, vec![Err(lost()), Ok(8)], vec![Ok(Seen::NotDone)]);
    assert_eq!((r, s.acted.get()), (Ok(8), 2));
    // Not done twice: the failure, the mark kept for the next retry.
    let looks = vec![Ok(Seen::NotDone), Ok(Seen::NotDone)];
    let (r, s) = run(false, vec![Err(lost()), Err(lost())], looks);
    assert_eq!((r, s.acted.get(), s.mark.get()), (Err(lost()), 2, true));
}

#[test]
fn a_refusal_clears_the_mark() {
    let refused = PluginError::Rejected("no".into());
    let (r, s) = run(false, vec![Err(refused.clone())], vec![Ok(Seen::NotDone)]);
    assert_eq!((r, s.acted.get(), s.mark.get()), (Err(refused), 1, false));
}

#[test]
fn when_the_back_office_cannot_tell_nothing_is_sent() {
    let (r, s) = run(true, vec![], vec![Ok(Seen::Unknown)]);
    assert!(matches!(r, Err(PluginError::Internal(m)) if m.contains("check it")));
    assert_eq!(s.acted.get(), 0);
    // An unreadable look before acting: retryable, nothing sent.
    let (r, s) = run(
        true,
        vec![],
        vec![Err(PluginError::Rejected("busy".into()))],
    );
    assert!(matches!(r, Err(PluginError::Unreachable(m)) if m.contains("busy")));
    assert_eq!(s.acted.get(), 0);
    // Failed, then unreadable: may or may not have happened; safe to retry.
    let (r, s) = run(false, vec![Err(lost())], vec![Err(lost())]);
    assert!(matches!(r, Err(PluginError::Unreachable(m)) if m.contains("safe")));
    assert!(s.mark.get());
}
