//! The integration tests of `provision`, in one binary.

mod canvas;
mod command;
mod crosscheck;
mod golden;
mod invalid;
mod machines;
mod mirror;
mod pages;
mod pipeline;
mod portable;
mod purge;
mod secrets;
mod shell;
mod ssh;
mod sshd;
mod support;
mod topology;
mod vagrant;
