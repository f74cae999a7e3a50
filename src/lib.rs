//! This package owns Stardust's examples and integration tests. Its documentation is the
//! README, so that every Rust example in the README is compiled and run as a doctest.
#![doc = include_str!("../README.md")]
