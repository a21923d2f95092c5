// One terminal on screen: xterm.js fitted to its box, keystrokes to terminal.input,
// output from terminal.output notifications (caught up with terminal.read).

import { FitAddon } from "@xterm/addon-fit";
import { Terminal } from "@xterm/xterm";
import "@xterm/xterm/css/xterm.css";
import { useEffect, useRef, useState } from "react";
import { useT } from "../../i18n";
import { RpcError } from "../../lib/rpc";
import { api } from "../../lib/sync";
import { useTheme } from "../../lib/theme";
import { InputQueue, TerminalStream } from "./stream";
import { DARK, LIGHT } from "./theme";
import { errorMessage } from "../../lib/errors";

const FONT = 'ui-monospace, "SF Mono", "Cascadia Code", "JetBrains Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace';
const LOST = -32008;

/** A terminal's screen; `exited` is its exit code once the shell ended. */
export function TermView({
  id,
  label,
  active,
  exited,
  onExit,
  onError,
}: {
  id: string;
  label: string;
  active: boolean;
  exited: number | null;
  onExit: (code: number) => void;
  onError: (message: string) => void;
}) {
  const t = useT();
  const theme = useTheme((s) => s.theme);
  const box = useRef<HTMLDivElement>(null);
  const term = useRef<Terminal | null>(null);
  const fit = useRef<FitAddon | null>(null);
  const exitedRef = useRef(exited);
  exitedRef.current = exited;
  const cb = useRef({ onExit, onError, t });
  cb.current = { onExit, onError, t };
  const [ready, setReady] = useState(false);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const x = new Terminal({
      fontFamily: FONT,
      fontSize: 13,
      lineHeight: 1.2,
      cursorBlink: true,
      scrollback: 10_000,
      theme: useTheme.getState().theme === "dark" ? DARK : LIGHT,
    });
    const f = new FitAddon();
    x.loadAddon(f);
    x.open(el);
    x.textarea?.setAttribute("aria-label", label);
    term.current = x;
    fit.current = f;

    let replaying = 0;
    const report = (e: unknown) => {
      if (e instanceof RpcError && e.code === LOST) return; // the reconnect catches up
      cb.current.onError(errorMessage(e));
    };
    const stream = new TerminalStream({
      read: (since) => api().call("terminal.read", since === undefined ? { id } : { id, since }),
      // Old output can hold terminal queries (cursor position, device attributes): xterm
      // would answer them as if typed, so its answers are dropped while replaying.
      write: (data, replay) => {
        if (!replay) return x.write(data);
        replaying += 1;
        x.write(data, () => (replaying -= 1));
      },
      onTruncated: () => x.write(`\r\n\x1b[2m${cb.current.t("term.truncated")}\x1b[0m\r\n`),
      onExit: (code) => cb.current.onExit(code),
      onError: report,
    });
    const input = new InputQueue((data) => api().call("terminal.input", { id, data }), report);
    const offOutput = api().on("terminal.output", (p) => {
      if (p.id === id) stream.push(p);
    });
    const offOpen = api().onOpen(() => void stream.catchUp());
    const onData = x.onData((d) => {
      if (exitedRef.current === null && replaying === 0) input.type(d);
    });

    // Fit to the box whenever it changes size; tell the shell (debounced).
    let sent = { cols: 0, rows: 0 };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ro = new ResizeObserver(() => {
      if (el.clientWidth === 0 || el.clientHeight === 0) return; // hidden
      f.fit();
      if (x.cols === sent.cols && x.rows === sent.rows) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        sent = { cols: x.cols, rows: x.rows };
        if (exitedRef.current === null) api().call("terminal.resize", { id, ...sent }).catch(report);
      }, 120);
    });
    ro.observe(el);
    void stream.catchUp().then(() => setReady(true));

    return () => {
      stream.close();
      offOutput();
      offOpen();
      onData.dispose();
      ro.disconnect();
      clearTimeout(timer);
      x.dispose();
      term.current = null;
      fit.current = null;
    };
    // The terminal lives as long as its id.
  }, [id]);

  useEffect(() => {
    if (term.current) term.current.options.theme = theme === "dark" ? DARK : LIGHT;
  }, [theme]);

  useEffect(() => {
    if (!active) return;
    const raf = requestAnimationFrame(() => {
      if (box.current && box.current.clientWidth > 0) fit.current?.fit();
      term.current?.focus();
    });
    return () => cancelAnimationFrame(raf);
  }, [active]);

  // The exit line follows the output read so far (so it comes after the scrollback).
  const shown = useRef(false);
  useEffect(() => {
    const x = term.current;
    if (!x || !ready || exited === null || shown.current) return;
    shown.current = true;
    x.options.disableStdin = true;
    x.options.cursorBlink = false;
    x.write(`\x1b[?25l\r\n\x1b[2m${t("term.exitedLine", { code: exited })}\x1b[0m\r\n`);
  }, [exited, ready, t]);

  return <div ref={box} className={`h-full w-full ${active ? "" : "hidden"}`} data-testid={`terminal-${id}`} />;
}
