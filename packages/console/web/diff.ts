import parseDiff from "parse-diff";

/** One row of a unified diff: a hunk header, or a line with its old and new line numbers. */
export type DiffRow =
  | { type: "hunk"; text: string }
  | { type: "add" | "del" | "normal"; oldLine: number | null; newLine: number | null; text: string };

/** One file of a patch: its rows, or only its name when it is binary. */
export interface DiffFile {
  path: string;
  oldPath: string | null;
  status: "added" | "deleted" | "renamed" | "modified";
  binary: boolean;
  additions: number;
  deletions: number;
  rows: DiffRow[];
}

const BINARY = /^(GIT binary patch|Binary files .* differ)$/m;

/**
 * Splits a git patch into files. Binary sections are named, never decoded or dumped; text sections go through
 * parse-diff. Everything stays plain strings, for the view to render as text.
 */
export function parsePatch(patch: string): DiffFile[] {
  return splitSections(patch).map(fileOf);
}

function splitSections(patch: string): string[] {
  const sections: string[] = [];
  let current: string[] = [];
  for (const line of patch.split("\n")) {
    if (line.startsWith("diff --git ") && current.length > 0) {
      sections.push(current.join("\n"));
      current = [];
    }
    current.push(line);
  }
  if (current.some((l) => l.trim() !== "")) sections.push(current.join("\n"));
  return sections;
}

function fileOf(section: string): DiffFile {
  const header = section.split("\n", 1)[0] ?? "";
  const binary = BINARY.test(section);
  const parsed = binary ? undefined : parseDiff(section)[0];
  const names = namesOf(header, section, parsed);
  return {
    ...names,
    binary,
    additions: parsed?.additions ?? 0,
    deletions: parsed?.deletions ?? 0,
    rows: parsed ? rowsOf(parsed) : [],
  };
}

function namesOf(
  header: string,
  section: string,
  parsed: parseDiff.File | undefined,
): Pick<DiffFile, "path" | "oldPath" | "status"> {
  const fromHeader = /^diff --git a\/(.*) b\/(.*)$/.exec(header);
  const from = clean(parsed?.from) ?? fromHeader?.[1] ?? null;
  const to = clean(parsed?.to) ?? fromHeader?.[2] ?? from ?? "(unnamed)";
  if (/^new file mode/m.test(section)) return { path: to, oldPath: null, status: "added" };
  if (/^deleted file mode/m.test(section)) return { path: from ?? to, oldPath: null, status: "deleted" };
  if (from && from !== to) return { path: to, oldPath: from, status: "renamed" };
  return { path: to, oldPath: null, status: "modified" };
}

function clean(name: string | undefined): string | undefined {
  return name && name !== "/dev/null" ? name : undefined;
}

function rowsOf(file: parseDiff.File): DiffRow[] {
  const rows: DiffRow[] = [];
  for (const chunk of file.chunks) {
    rows.push({ type: "hunk", text: chunk.content });
    for (const change of chunk.changes) {
      // parse-diff keeps the +/-/space marker; "\ No newline at end of file" has no line numbers.
      const text = change.content.slice(1);
      if (change.type === "add") rows.push({ type: "add", oldLine: null, newLine: change.ln, text });
      else if (change.type === "del") rows.push({ type: "del", oldLine: change.ln, newLine: null, text });
      else rows.push({ type: "normal", oldLine: change.ln1, newLine: change.ln2, text });
    }
  }
  return rows;
}
