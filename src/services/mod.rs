//! What zoomsync does, independent of how it was asked (HTTP handler, CLI, scheduler).

pub mod apps;
pub mod keys;
