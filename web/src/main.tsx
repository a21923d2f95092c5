import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "./index.css";
import { App } from "./App";
import { takeTokenFromUrl } from "./lib/auth";
import { applyTheme, useTheme } from "./lib/theme";
import { useLang } from "./i18n";

takeTokenFromUrl();
applyTheme(useTheme.getState().theme);
document.documentElement.lang = useLang.getState().lang === "zh" ? "zh-CN" : "en";

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
