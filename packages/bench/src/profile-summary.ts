/**
 * Summarises a V8 CPU profile of the worker (`npm run bench -- --profile DIR`): self time by
 * component (AWS SDK, Powertools, zod, the target's lib/ and functions/, the local stand-ins
 * (the local Lambda kit, the target's local/), Node internals, GC), and the top functions.
 *
 *   node packages/bench/src/profile-summary.ts DIR/CPU.….cpuprofile
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The component a profiled function belongs to, by its script's URL. */
export function componentOf(url: string, functionName: string): string {
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(idle)' || functionName === '(program)') return functionName;
  if (!url) return 'native / V8';
  if (url.includes('/@aws-sdk/') || url.includes('/@smithy/') || url.includes('/@aws-crypto/')) return 'AWS SDK';
  if (url.includes('/@aws-lambda-powertools/')) return 'Powertools';
  if (url.includes('/zod/')) return 'zod';
  if (url.includes('/libphonenumber-js/')) return 'libphonenumber-js';
  if (url.includes('/@middy/')) return 'middy';
  if (url.includes('/node_modules/'))
    return `other dependencies (${url
      .split('/node_modules/')
      .pop()!
      .split('/')
      .slice(0, url.includes('/node_modules/@') ? 2 : 1)
      .join('/')})`;
  if (url.includes('/packages/bench/')) return 'bench instrument';
  if (url.includes('/lambda-local-kit/')) return 'local stand-ins (poller, function URL)';
  if (url.includes('/lib/') || url.includes('/functions/')) return "project's lib/ and functions/";
  if (url.includes('/local/')) return 'local stand-ins (poller, function URL)';
  if (url.startsWith('node:')) return 'Node internals';
  return 'other';
}

/** Self time in all, by component, and of the 25 busiest functions (ms). */
export function summarise(profile: Profile): {
  totalMs: number;
  byComponent: Array<[string, number]>;
  topFunctions: Array<[string, number]>;
} {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  for (const [i, id] of profile.samples.entries()) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const byComponent = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const component = componentOf(node.callFrame.url, node.callFrame.functionName);
    if (component === '(idle)') continue;
    total += us;
    byComponent.set(component, (byComponent.get(component) ?? 0) + us);
    const name = `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/main\//, '')}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  }
  const sorted = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Math.round(v / 1000)] as [string, number]);
  return { totalMs: Math.round(total / 1000), byComponent: sorted(byComponent), topFunctions: sorted(byFunction).slice(0, 25) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node packages/bench/src/profile-summary.ts <file.cpuprofile>');
    process.exit(2);
  }
  const { totalMs, byComponent, topFunctions } = summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile);
  console.log(`busy ${totalMs} ms (idle excluded)`);
  for (const [component, ms] of byComponent)
    console.log(`  ${String(Math.round((ms / totalMs) * 1000) / 10).padStart(5)} %  ${String(ms).padStart(7)} ms  ${component}`);
  console.log('top functions (self time):');
  for (const [name, ms] of topFunctions) console.log(`  ${String(ms).padStart(7)} ms  ${name}`);
}
