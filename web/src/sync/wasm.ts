// Automerge's wasm is loaded from its own hashed file (precached by the service worker), not
// inlined into the JavaScript as base64: the first load stays small and the 3.6 MB module is
// fetched once.
import { initializeWasm } from "@automerge/automerge-repo/slim";
import wasmUrl from "@automerge/automerge/automerge.wasm?url";

let ready: Promise<void> | null = null;

export function loadAutomerge(): Promise<void> {
  ready ??= initializeWasm(wasmUrl);
  return ready;
}
