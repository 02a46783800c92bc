/**
 * `--scenario feed`: each audience fed flat out through the target's feeder, then a small campaign
 * sent for real for launch → first accepted; the report, and the results file
 * (`<start time>-feed.json`) with every run's raw measurements.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { FeedCommand } from './command-line.ts';
import { analyzeFeed, type FeedAnalysis, formatFeedRun, formatFeedTable, formatLaunch } from './feed-report.ts';
import { type FeedRunResult, type LaunchRunResult, runFeed, runLaunch } from './feed-run.ts';
import { describeMachine, machineLine } from './machine.ts';
import { PRICES } from './prices.ts';
import type { BenchTarget } from './target.ts';

/** Meta's standard rate: the launch run sends at it. */
const LAUNCH_RATE = 80;

/** Runs the feed scenario; 0 when it ran (whatever the figures), 2 when the target has no feed. */
export async function runFeedScenario(target: BenchTarget, command: FeedCommand, signal: AbortSignal): Promise<number> {
  if (!target.feed) {
    console.error('this target has no feed (BenchTarget.feed): --scenario feed cannot run');
    return 2;
  }
  // With --json, stdout carries the results only.
  const say = (line: string) => (command.json ? console.error(line) : console.log(line));
  const machine = describeMachine();
  say(machineLine(machine));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const file = {
    machine,
    argv: command.argv,
    prices: PRICES,
    feeds: [] as Array<{ run: FeedRunResult; analysis: FeedAnalysis }>,
    launch: undefined as LaunchRunResult | undefined,
  };
  const save = () => {
    mkdirSync(command.out, { recursive: true });
    const path = `${command.out.replace(/\/$/, '')}/${stamp}-feed.json`;
    writeFileSync(path, `${JSON.stringify(file, null, 1)}\n`);
    return path;
  };
  for (const rows of command.rows) {
    if (signal.aborted) break;
    const run = await runFeed(target, target.feed, {
      label: `feed-${rows}`,
      rows,
      logLevel: command.logLevel,
      stallSeconds: command.stallSeconds,
      timeoutSeconds: command.timeoutSeconds ?? Math.ceil(rows / 500) + 300,
      signal,
      say,
    });
    const analysis = analyzeFeed(run, PRICES);
    file.feeds.push({ run, analysis });
    say(`\n${formatFeedRun(run, analysis)}`);
    say(`results so far: ${save()}`);
  }
  if (command.launchRows > 0 && !signal.aborted) {
    file.launch = await runLaunch(target, target.feed, {
      label: `launch-${command.launchRows}`,
      rows: command.launchRows,
      rate: LAUNCH_RATE,
      tickEveryMs: command.launchTickSeconds * 1000,
      logLevel: command.logLevel,
      say,
    });
    say(`\n${formatLaunch(file.launch)}`);
  }
  if (file.feeds.length > 0) say(`\n${formatFeedTable(file.feeds)}`);
  say(`\nresults: ${save()}`);
  if (command.json) console.log(JSON.stringify(file, null, 1));
  return 0;
}
