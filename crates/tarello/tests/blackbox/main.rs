//! Black-box tests of the `tarello` binary: spawned as a process, driven by
//! its CLI and over HTTP, against a real PostgreSQL (the test kit's cluster
//! or the binary's own embedded one).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod account_deletion;
mod audit;
mod common;
mod config;
mod embedded;
mod flows;
mod history;
mod history_export;
mod history_feed;
mod http;
mod identity;
mod identity_login;
mod identity_reset;
mod identity_sessions;
mod identity_workspaces;
mod keys;
mod machine;
mod matrix;
mod members;
mod openapi;
mod personas;
mod rehash;
mod security_log;
mod signing;
mod smtp;
mod totp;
mod ts_client;
mod work_attachments;
mod work_boards;
mod work_comments;
mod work_large;
mod work_tags;
mod work_time;
mod work_workspace;
