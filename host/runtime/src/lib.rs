#![doc = include_str!("../README.md")]

pub mod artifact_key;
pub mod bindings;
pub mod call;
pub mod capabilities;
pub mod contract;
pub mod engine;
pub mod error;
pub mod plugin;
pub mod pool;
pub mod runtime;
pub mod sandbox;
pub mod tenant;
pub mod versions;
