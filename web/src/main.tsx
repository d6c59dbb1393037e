// Entry: loads the Automerge wasm (a separate cached file), then renders the app.
import { createRoot } from "react-dom/client";
import { unstableSetRender } from "antd-mobile";

import { App } from "./app/App";
import { loadAutomerge } from "./sync/wasm";
import "./styles/app.css";

// antd-mobile's imperative Toast/Dialog render through ReactDOM.render, gone in React 19.
unstableSetRender((node, container) => {
  const root = createRoot(container);
  root.render(node);
  return async () => {
    root.unmount();
  };
});

const root = document.getElementById("root");
if (root) {
  void loadAutomerge().then(
    () => createRoot(root).render(<App />),
    (error: unknown) => {
      // Before React runs, so plain DOM, in both languages; a reload is the way out (a flaky
      // network while the engine was first fetched, or a cache cleared mid-update).
      const message = document.createElement("p");
      message.textContent = `无法加载同步引擎 (Automerge) / The sync engine failed to load: ${String(error)}`;
      const retry = document.createElement("button");
      retry.type = "button";
      retry.textContent = "重新加载 / Reload";
      retry.onclick = () => location.reload();
      root.replaceChildren(message, retry);
    },
  );
}
