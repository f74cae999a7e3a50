//! Nothing here: this package owns the examples and integration tests.
