// Small icons of the file browser (decorative: hidden from assistive technology).

/** A chevron pointing right, or down when `open`. */
export function Chevron({ open }: { open: boolean }) {
  return (
    <svg aria-hidden viewBox="0 0 16 16" className={`h-3.5 w-3.5 shrink-0 text-zinc-400 transition-transform ${open ? "rotate-90" : ""}`}>
      <path d="M6 4l4 4-4 4" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

/** A folder. */
export function FolderIcon({ open = false }: { open?: boolean }) {
  return (
    <svg aria-hidden viewBox="0 0 16 16" className="h-4 w-4 shrink-0 text-indigo-500 dark:text-indigo-400">
      <path
        d={open ? "M1.5 4.5v8h11l2-5.5h-11L1.5 12.5M1.5 4.5V3h4l1.5 1.5h5.5V7" : "M1.5 3.5h4.5l1.5 1.5h7v8h-13z"}
        fill={open ? "none" : "currentColor"}
        fillOpacity={open ? undefined : 0.2}
        stroke="currentColor"
        strokeWidth="1.2"
        strokeLinejoin="round"
      />
    </svg>
  );
}

/** A file. */
export function FileIcon() {
  return (
    <svg aria-hidden viewBox="0 0 16 16" className="h-4 w-4 shrink-0 text-zinc-400">
      <path d="M3.5 1.5h6l3 3v10h-9z M9.5 1.5v3h3" fill="none" stroke="currentColor" strokeWidth="1.2" strokeLinejoin="round" />
    </svg>
  );
}
