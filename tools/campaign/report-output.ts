import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { invalidInput } from './failure.ts';
import { type ReportInput, type ReportSummary, reportCampaign } from './report.ts';

/** Writes one line, waiting when the stream's buffer is full: memory stays flat whatever the audience's size. */
async function writeLine(stream: NodeJS.WritableStream, line: string): Promise<void> {
  if (!stream.write(`${line}\n`)) await once(stream, 'drain');
}

/** A file opened at the first line, so a report that fails before its first row leaves no file behind. */
function lazyFile(path: string) {
  let stream: WriteStream | undefined;
  const open = async (): Promise<WriteStream> => {
    const opening = createWriteStream(path);
    try {
      await once(opening, 'open');
    } catch (error) {
      throw invalidInput(`cannot write ${path}: ${(error as Error).message}`);
    }
    return opening;
  };
  return {
    async write(line: string) {
      stream ??= await open();
      await writeLine(stream, line);
    },
    async close() {
      if (!stream) return;
      stream.end();
      await once(stream, 'finish');
    },
  };
}

export function summaryLine({ rows, jobs, notSentYet, duplicates, rejected }: ReportSummary): string {
  return `${rows} rows: ${jobs} with a job, ${notSentYet} not sent yet, ${duplicates} duplicates, ${rejected} rejected`;
}

/** `report`: the CSV to `--out`'s file (the summary on the console), or to stdout (the summary on stderr, apart from the CSV). */
export async function reportToFileOrStdout(input: Omit<ReportInput, 'write'>, outFile: string | undefined): Promise<void> {
  if (outFile === undefined) {
    const summary = await reportCampaign({ ...input, write: (line) => writeLine(process.stdout, line) });
    process.stderr.write(`${summaryLine(summary)}\n`);
    return;
  }
  const file = lazyFile(outFile);
  let summary: ReportSummary;
  try {
    summary = await reportCampaign({ ...input, write: (line) => file.write(line) });
  } finally {
    await file.close();
  }
  input.out(`wrote ${outFile}: ${summaryLine(summary)}`);
}
