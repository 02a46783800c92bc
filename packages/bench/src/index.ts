/**
 * mm-sender-bench: a benchmark for a WhatsApp marketing sender on the local stack. A target
 * implements {@link BenchTarget} and hands it to {@link main} with its command line.
 */
export type { AttributionRules, Path, RequestRule } from './attribution.ts';
export { main } from './cli.ts';
export type { LambdaLogging } from './cost-model.ts';
export type {
  BenchStage,
  BenchTarget,
  DeployInput,
  FeedBenchTarget,
  FeedCampaign,
  FeedCampaignState,
  FeedStage,
  FeedWorkerInput,
  JobBatch,
  JobsTable,
  LambdaSettings,
  WorkerCommand,
  WorkerGroup,
  WorkerInput,
} from './target.ts';
export type { WorkerStopped } from './types.ts';
