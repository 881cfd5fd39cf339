//! End-to-end tests of `cnap`: the real binary against the real API
//! (`akua-local` in-process, embedded store), each test with its own server
//! and its own temporary `HOME`. One test binary, so the API is linked once.

mod api;
mod config;
mod errors;
mod keychain;
mod login;
mod restricted;
mod scripting;
mod support;
mod tokens;
