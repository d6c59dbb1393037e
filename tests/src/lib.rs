//! End-to-end tests of the real `duyan` binary live in `tests/`: what a person does with
//! the README's run command (embedded database, restart, health). The interop tests with the
//! real automerge-repo JavaScript client are in `tests/js`, run by the same test command.
