//! Exactly once, for a back-office call that is not idempotent (each call
//! creates something: printIQ's `AcceptQuote` makes a new job every time).
//!
//! A persistent mark is set before every attempt. Whenever it is set (a
//! retry of the whole operation, or an attempt whose answer was lost or
//! failed) the back office is read first (`look`), and the call is made
//! only when it says the thing was not done. When its answer cannot tell,
//! or cannot be read, nothing is sent: the caller is told to try again
//! (reading again later is always safe) or to check by hand.

use crate::PluginError;
use crate::platform::{Log, Platform};
use crate::retry::{Attempt, at_most_twice};

/// What the back office says of the action.
#[derive(Debug, PartialEq, Eq)]
pub enum Seen<T> {
    Done(T),
    NotDone,
    /// Its answer shows neither.
    Unknown,
}

/// One non-idempotent action, named for messages (e.g. "accepting quote
/// Q-1 of order 1001").
pub struct Once<'a> {
    pub p: &'a dyn Platform,
    pub what: &'a str,
}

impl Once<'_> {
    /// Runs `act` unless `look` says it is done. `marked`: the mark as
    /// stored; `mark(on)` stores it (before each attempt, and cleared after
    /// a definite refusal). A transient failure the back office confirms as
    /// not done is tried once more.
    pub fn run<T>(
        &self,
        marked: bool,
        mut mark: impl FnMut(bool),
        mut act: impl FnMut() -> Result<T, PluginError>,
        mut look: impl FnMut() -> Result<Seen<T>, PluginError>,
    ) -> Result<T, PluginError> {
        let what = self.what;
        if marked {
            match look().map_err(|e| self.unread(e))? {
                Seen::Done(t) => {
                    self.p.info(&format!("{what}: done already; not again"));
                    return Ok(t);
                }
                Seen::NotDone => {}
                Seen::Unknown => return Err(self.cannot_tell()),
            }
        }
        at_most_twice(true, |last| {
            mark(true);
            let error = match act() {
                Ok(t) => return Attempt::Done(Ok(t)),
                Err(e) => e,
            };
            let transient = matches!(error, PluginError::Unreachable(_));
            // Whatever happened, look before doing anything else.
            Attempt::Done(match look() {
                Ok(Seen::Done(t)) => {
                    let m = error.message();
                    self.p.warn(&format!("{what} failed ({m}) but is done"));
                    Ok(t)
                }
                Ok(Seen::NotDone) if transient && !last => {
                    let m = error.message();
                    self.p
                        .warn(&format!("{what} failed ({m}), not done: once more"));
                    return Attempt::Again;
                }
                Ok(Seen::NotDone) => {
                    if !transient {
                        mark(false);
                    }
                    Err(error)
                }
                Ok(Seen::Unknown) => Err(self.cannot_tell()),
                Err(_) => Err(PluginError::Unreachable(format!(
                    "{}. {what}: may or may not have happened; trying again is safe: the back office is read before it is ever done again",
                    error.message()
                ))),
            })
        })
    }

    /// A failed look before an attempt: the operation cannot go on without
    /// it, and looking again later is safe, so it is worth a retry (a
    /// refusal here is the back office failing, not the request being wrong).
    fn unread(&self, e: PluginError) -> PluginError {
        match e {
            PluginError::Configuration(_) => e,
            e => PluginError::Unreachable(format!(
                "{}: could not read whether it was done before doing it again: {}; it is tried again",
                self.what,
                e.message()
            )),
        }
    }

    fn cannot_tell(&self) -> PluginError {
        PluginError::Internal(format!(
            "{}: the back office's answer does not say whether it was done, so it is not done again: check it in the back office",
            self.what
        ))
    }
}

#[cfg(test)]
mod tests;
