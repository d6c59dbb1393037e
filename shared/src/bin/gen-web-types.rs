//! Writes the web app's generated TypeScript (`web/src/generated/`) from the domain crate.
//! Run it as `scripts/gen-web-types.sh`; `cargo test` fails while the committed files are stale.

use std::fs;
use std::process::ExitCode;

use duyan_shared::web_types;

fn main() -> ExitCode {
    let directory = web_types::directory();
    if let Err(e) = fs::create_dir_all(&directory) {
        eprintln!("gen-web-types: cannot create {}: {e}", directory.display());
        return ExitCode::FAILURE;
    }
    for file in web_types::files() {
        let path = directory.join(file.name);
        let shown = format!("{}/{}", web_types::DIRECTORY, file.name);
        if fs::read_to_string(&path).is_ok_and(|old| old == file.contents) {
            println!("{shown}: up to date");
            continue;
        }
        if let Err(e) = fs::write(&path, &file.contents) {
            eprintln!("gen-web-types: cannot write {shown}: {e}");
            return ExitCode::FAILURE;
        }
        println!("{shown}: written");
    }
    ExitCode::SUCCESS
}
