//! printIQ simulator (skeleton).
