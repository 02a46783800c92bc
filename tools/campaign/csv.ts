/**
 * One CSV line (RFC 4180): a field holding a comma, a quote or a line break is quoted, its quotes
 * doubled; an absent value is an empty field. No line break at the end: the writer adds it.
 */
export function csvLine(fields: ReadonlyArray<string | number | undefined>): string {
  return fields
    .map((field) => {
      const text = field === undefined ? '' : String(field);
      return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
    })
    .join(',');
}
