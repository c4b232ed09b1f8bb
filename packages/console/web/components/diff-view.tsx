import { useState } from "preact/hooks";
import type { DiffFile, DiffRow } from "../diff.js";

/** Beyond this many lines in all, further files start collapsed; so does any single file longer than the page. */
const OPEN_BUDGET = 3000;
const PAGE = 2000;

/** A patch as a unified diff, file by file; large patches stay usable (collapsed files, rows shown a page at a time). */
export function DiffView({ files }: { files: DiffFile[] }) {
  if (files.length === 0) return <p class="empty">The patch is empty.</p>;
  let budget = OPEN_BUDGET;
  const openAtFirst = files.map((f) => {
    const open = !f.binary && f.rows.length <= PAGE && f.rows.length <= budget;
    if (open) budget -= f.rows.length;
    return open;
  });
  const added = files.reduce((n, f) => n + f.additions, 0);
  const removed = files.reduce((n, f) => n + f.deletions, 0);
  return (
    <div class="diff" data-testid="diff">
      <p class="muted">
        {files.length} file(s), <span class="ok-text">+{added}</span> <span class="error-text">-{removed}</span>
      </p>
      {files.map((file, i) => (
        <FileDiff key={`${i}:${file.path}`} file={file} initiallyOpen={openAtFirst[i] ?? false} />
      ))}
    </div>
  );
}

function FileDiff({ file, initiallyOpen }: { file: DiffFile; initiallyOpen: boolean }) {
  const [open, setOpen] = useState(initiallyOpen);
  const [shown, setShown] = useState(PAGE);
  return (
    <div class="diff-file">
      <button type="button" class="diff-file-header" onClick={() => setOpen(!open)} disabled={file.binary}>
        <span class="toggle">{file.binary ? "•" : open ? "▾" : "▸"}</span>
        <span class={`file-status file-${file.status}`}>{file.status}</span>
        <span class="mono">
          {file.oldPath ? `${file.oldPath} → ` : ""}
          {file.path}
        </span>
        {file.binary ? (
          <span class="muted"> binary file, not shown</span>
        ) : (
          <span class="muted">
            {" "}
            +{file.additions} -{file.deletions}
            {!open ? ` (${file.rows.length} lines, collapsed)` : ""}
          </span>
        )}
      </button>
      {open && !file.binary && (
        <>
          <table class="diff-table">
            <tbody>
              {file.rows.slice(0, shown).map((row, i) => (
                <Row key={i} row={row} />
              ))}
            </tbody>
          </table>
          {file.rows.length > shown && (
            <button type="button" class="button" onClick={() => setShown(shown + PAGE)}>
              Show {Math.min(PAGE, file.rows.length - shown)} more of {file.rows.length - shown} lines
            </button>
          )}
        </>
      )}
    </div>
  );
}

function Row({ row }: { row: DiffRow }) {
  if (row.type === "hunk") {
    return (
      <tr class="hunk">
        <td colSpan={3}>{row.text}</td>
      </tr>
    );
  }
  const marker = row.type === "add" ? "+" : row.type === "del" ? "-" : " ";
  return (
    <tr class={`line line-${row.type}`}>
      <td class="ln">{row.oldLine ?? ""}</td>
      <td class="ln">{row.newLine ?? ""}</td>
      <td class="code">
        {marker}
        {row.text}
      </td>
    </tr>
  );
}
