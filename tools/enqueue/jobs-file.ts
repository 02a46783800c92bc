/** One job as the file gives it: where it is, for the messages, and its text as a queue message body. */
export interface JobEntry {
  label: string;
  body: string;
}

/**
 * Splits a jobs file into jobs: one JSON array of jobs, or JSON Lines (one job per line, blank
 * lines skipped). Never throws: a line that is not one JSON object stays a job of its own, so it
 * is refused by the validation with the reason the sender would give the same message body.
 */
export function jobsOfFile(text: string): JobEntry[] {
  const array = wholeArray(text);
  if (array) return array.map((job, i) => ({ label: `#${i + 1}`, body: bodyOf(job) }));
  return text
    .split('\n')
    .map((line, i) => ({ label: `line ${i + 1}`, body: line.trim() }))
    .filter(({ body }) => body.length > 0);
}

/** The file's jobs when the whole file is one JSON array; otherwise it is read as JSON Lines. */
function wholeArray(text: string): unknown[] | undefined {
  if (!text.trimStart().startsWith('[')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The element as a message body; one nested too deeply to serialise is no job object either. */
function bodyOf(job: unknown): string {
  try {
    return JSON.stringify(job);
  } catch {
    return 'null';
  }
}
