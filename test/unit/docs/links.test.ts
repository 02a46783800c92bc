import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PAGES = [
  'README.md',
  'BENCHMARKS.md',
  ...readdirSync(join(ROOT, 'docs')).map((file) => `docs/${file}`),
  ...readdirSync(join(ROOT, 'packages')).map((name) => `packages/${name}/README.md`),
].filter((page) => page.endsWith('.md') && existsSync(join(ROOT, page)));

const withoutCode = (markdown: string) => markdown.replace(/```[\s\S]*?```/g, '');

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchorsOf(page: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading] of withoutCode(readFileSync(join(ROOT, page), 'utf8')).matchAll(/^#{1,6}\s+(.*)$/gm)) {
    const slug = heading!
      .replaceAll('`', '')
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}_\- ]/gu, '')
      .replaceAll(' ', '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Why a relative link from `page` leads nowhere, or undefined when it resolves (file, and heading if it names one). */
function brokenLink(page: string, link: string): string | undefined {
  const [path, anchor] = link.split('#');
  const target = path ? join(dirname(join(ROOT, page)), path) : join(ROOT, page);
  if (!existsSync(target)) return `no file ${relative(ROOT, target)}`;
  if (anchor && target.endsWith('.md') && !anchorsOf(relative(ROOT, target)).has(anchor))
    return `no heading #${anchor} in ${relative(ROOT, target)}`;
  return undefined;
}

describe('documentation links', () => {
  it.each(PAGES)('every relative link in %s leads to a file and heading that exist', (page) => {
    const links = [...withoutCode(readFileSync(join(ROOT, page), 'utf8')).matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!);
    const broken = links.filter((link) => !/^[a-z]+:/.test(link)).flatMap((link) => brokenLink(page, link) ?? []);
    expect(broken).toEqual([]);
  });

  it('gives every alarm a runbook heading of its own in docs/operations.md', () => {
    const alarms = parse(readFileSync(join(ROOT, 'infra/alarms.yml'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: { AlarmDescription?: string } }>;
    };
    const operations = anchorsOf('docs/operations.md');
    const entries = Object.entries(alarms.Resources).filter(([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm');
    expect(entries.length).toBeGreaterThan(5);
    for (const [name, alarm] of entries) {
      const runbook = /Runbook: docs\/operations\.md#([\w-]+)$/.exec(alarm.Properties.AlarmDescription ?? '')?.[1];
      expect(runbook, name).toBe(name.toLowerCase());
      expect(operations.has(runbook!), `${name}: #${runbook}`).toBe(true);
    }
  });
});
