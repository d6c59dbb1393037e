//! `sqlx::migrate!` embeds each migration with `include_str!`, so cargo notices an edited
//! migration, but not a new one: stable Rust cannot watch a directory from a macro. Without
//! this, an incremental build after pulling a new migration would start a server that never
//! applies it. (sqlx's documentation recommends exactly this.)

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
