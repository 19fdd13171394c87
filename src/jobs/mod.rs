//! Background jobs. Each is a cancellable loop with a public `tick()` that tests call.

pub mod notifier;
pub mod pruner;
pub mod scheduler;
