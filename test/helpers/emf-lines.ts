import { type MockInstance, vi } from 'vitest';

interface EmfBlob {
  _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [field: string]: unknown;
}

/** One value of a metric as a function printed it: its dimension names (sorted) and their values. */
export interface EmittedMetric {
  value: number;
  dimensions: string[];
  values: Record<string, string>;
}

/**
 * The EMF lines the local functions write to stdout, where Lambda's go to CloudWatch. Call before
 * the deployment starts: the local deployment keeps metrics quiet unless asked, and stdout is
 * swallowed from then on (the test's own output goes through vitest, not stdout).
 */
export function captureEmf(): { emitted: (metric: string) => EmittedMetric[] } {
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  const printed: MockInstance = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  return {
    emitted: (metric) =>
      printed.mock.calls.flatMap(([text]) => {
        const line = String(text);
        if (!line.includes('"_aws"')) return [];
        const blob = JSON.parse(line) as EmfBlob;
        const set = blob._aws.CloudWatchMetrics.find((d) => d.Metrics.some((m) => m.Name === metric));
        if (!set) return [];
        const dimensions = set.Dimensions.flat().sort();
        const values = Object.fromEntries(dimensions.map((name) => [name, String(blob[name])]));
        return [{ value: Number(blob[metric]), dimensions, values }];
      }),
  };
}
