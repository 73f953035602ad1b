//! Creating and finding Tharstern estimates. Tharstern sometimes answers
//! `Success: false` although it created the estimate, and an answer may be
//! lost: before any retry the estimate is looked up by its unique title, so
//! a quote never creates a duplicate estimate.

use std::ops::ControlFlow;

use serde_json::Value;

use connect_plugin_sdk::retry::{Attempt, at_most_twice};

use crate::client::Reply;
use crate::json::{self, Step};
use crate::{LogLevel, PluginError, Tharstern};

use super::is_no_price_message;

/// Field names that may carry an estimate's total.
const TOTAL_FIELDS: [&str; 4] = ["TotalPrice", "Total", "TotalValue", "Price"];

/// An estimate Tharstern created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Estimate {
    pub id: i64,
    /// The exact text of its total, when it has one.
    pub total: Option<String>,
}

impl Tharstern {
    /// POST the estimate request, surviving the `Success: false` quirk and
    /// lost answers without ever creating a duplicate.
    pub(super) fn create_estimate(
        &self,
        body: &Value,
        title: &str,
    ) -> Result<Estimate, PluginError> {
        let bytes = body.to_string();
        let client = self.client();
        at_most_twice(true, |last| {
            let done = Attempt::Done;
            match client.post("estrequest", bytes.as_bytes()) {
                Ok(reply) => {
                    if let Some(est) = estimate_in(&reply) {
                        if !reply.success() {
                            self.p.log(
                                LogLevel::Warn,
                                &format!("Tharstern answered Success:false but returned estimate {}; using it", est.id),
                            );
                        }
                        return done(Ok(est));
                    }
                    let message = reply.message().unwrap_or_default();
                    if !reply.success() && is_no_price_message(&message) {
                        return done(Err(PluginError::NoPrice(format!(
                            "Tharstern gives no price for this request: {message}"
                        ))));
                    }
                    // Possibly created although the answer says otherwise.
                    match self.find_estimate(title) {
                        Ok(Some(est)) => {
                            self.p.log(
                                LogLevel::Warn,
                                &format!("Tharstern reported a failure ({message}) but created estimate {}; using it", est.id),
                            );
                            return done(Ok(est));
                        }
                        Ok(None) => {}
                        Err(e) => return done(Err(e)),
                    }
                    if last {
                        return done(Err(PluginError::Unreachable(format!(
                            "Tharstern failed to create the estimate twice ({}); try again later",
                            if message.is_empty() {
                                "no reason given"
                            } else {
                                &message
                            }
                        ))));
                    }
                    self.p.log(
                        LogLevel::Warn,
                        &format!(
                            "Tharstern did not create the estimate ({message}); retrying once"
                        ),
                    );
                    Attempt::Again
                }
                Err(PluginError::Unreachable(m)) => {
                    // The request may have been processed: look before retrying.
                    match self.find_estimate(title) {
                        Ok(Some(est)) => done(Ok(est)),
                        Ok(None) if !last => {
                            self.p.log(
                                LogLevel::Warn,
                                &format!("creating the estimate failed ({m}); no estimate was created, retrying once"),
                            );
                            Attempt::Again
                        }
                        _ => done(Err(PluginError::Unreachable(m))),
                    }
                }
                Err(PluginError::Rejected(m)) => done(Err(PluginError::Rejected(format!(
                    "{m}; check the product mapping (overrides, advanced JSON) and the selections"
                )))),
                Err(e) => done(Err(e)),
            }
        })
    }

    /// The newest estimate whose title is exactly `title`.
    pub(crate) fn find_estimate(&self, title: &str) -> Result<Option<Estimate>, PluginError> {
        // Every page: the newest may be on any (the keyword is a substring).
        let client = self.client();
        let mut best: Option<Estimate> = None;
        let walk = client.get_pages("estimates", &[("keyword", title)], |reply, items| {
            let newest = items
                .iter()
                .enumerate()
                .filter(|(_, e)| {
                    json::text_field(e, &["Title"]).is_some_and(|t| t.eq_ignore_ascii_case(title))
                })
                .filter_map(|(i, e)| Some((json::int_field(e, &["ID", "Id", "EstimateID"])?, i)))
                .filter(|(id, _)| *id > 0)
                .max();
            if let Some((id, i)) = newest
                && best.as_ref().is_none_or(|b| id > b.id)
            {
                best = Some(Estimate {
                    id,
                    total: TOTAL_FIELDS.iter().find_map(|f| {
                        reply
                            .raw(&[Step::Key("Items"), Step::Index(i), Step::Key(f)])
                            .map(str::to_string)
                    }),
                });
            }
            Ok(ControlFlow::Continue(()))
        })?;
        client.bound_reached(&walk, "estimates");
        Ok(best)
    }
}

/// The estimate in an estrequest answer (`Details.Estimate`), if any.
fn estimate_in(reply: &Reply) -> Option<Estimate> {
    let est = json::get(reply.details(), "Estimate")?;
    let id = json::int_field(est, &["ID", "Id", "EstimateID"]).filter(|id| *id > 0)?;
    let total = TOTAL_FIELDS.iter().find_map(|f| {
        reply
            .raw(&[Step::Key("Estimate"), Step::Key(f)])
            .map(str::to_string)
    });
    Some(Estimate { id, total })
}
