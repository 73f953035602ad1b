use super::*;
use crate::testing::TestPlatform;

#[test]
fn a_job_never_moves_backwards_nor_repeats() {
    let p = TestPlatform::default();
    let g = Progress::new(&p, 60);
    assert!(g.advance("J1", 10, "Proof"));
    assert!(!g.advance("J1", 10, "proof"), "a repeat (without case)");
    assert!(g.advance("J1", 10, "Proof 2"), "same rank, new text");
    assert!(!g.advance("J1", 0, "Received"), "backwards");
    assert!(g.advance("J1", FINAL, "Complete"));
    assert!(
        !g.advance("J1", FINAL, "Cancelled"),
        "nothing after a final status"
    );
    assert_eq!(g.last("J1"), Some((FINAL, "Complete".into())));
    assert!(g.advance("J2", 0, "Received"), "per job");
}

#[test]
fn a_delivery_counts_the_first_time_only() {
    let p = TestPlatform::default();
    let g = Progress::new(&p, 60);
    assert!(g.first_time("CreateJob", "J1", "Create Job"));
    assert!(!g.first_time("createjob", "J1", "CREATE JOB"));
    assert!(
        g.first_time("CreateJob", "j1", "Create Job"),
        "job numbers are exact"
    );
    assert!(g.first_time("CreateJob", "J1", "Complete"));
    assert!(
        g.first_time("CreateJob", "J1C", "omplete"),
        "parts keep their boundaries"
    );
}
