//! What `#[derive(Channel)]` generates: the ids and configs of channels that compile.
//! (What it refuses, and how it says so, is the `ui` test.)

mod channel_derive_pass;
mod channel_id_golden;
