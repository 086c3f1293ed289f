//! Helpers shared by ko-log's integration tests and examples.
