import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';

/** One CloudFormation resource read from a serverless `resources` file, variables resolved. */
export interface TemplateResource {
  logicalId: string;
  type: string;
  properties: Record<string, unknown>;
  /** The file it came from, for error messages. */
  file: string;
}

/** The values of the only two Serverless variables the local stack resolves. */
export interface TemplateVariables {
  service: string;
  stage: string;
}

/**
 * Reads CloudFormation `Resources` from YAML files (absolute, or relative to the working directory) and
 * substitutes `${self:service}` and `${sls:stage}`. Any other `${...}` variable, YAML tag
 * (`!GetAtt` short form) or duplicate logical id fails loudly, naming the file and key: resolving
 * them differently from the Serverless Framework would let local and deployed resources drift.
 */
export async function loadTemplateResources(
  files: readonly string[],
  variables: TemplateVariables,
): Promise<Map<string, TemplateResource>> {
  const resources = new Map<string, TemplateResource>();
  for (const file of files) {
    const document = parseDocument(await readFile(resolve(file), 'utf8'));
    const problem = document.errors[0] ?? document.warnings[0];
    if (problem) throw new Error(`${file}: ${problem.message} (the local stack reads plain YAML with long-form Fn:: intrinsics only)`);

    const root = substituteVariables(document.toJS(), variables, file, '');
    if (!isRecord(root) || !isRecord(root.Resources)) throw new Error(`${file}: no Resources mapping`);
    for (const [logicalId, resource] of Object.entries(root.Resources)) {
      if (!isRecord(resource) || typeof resource.Type !== 'string') throw new Error(`${file}: Resources.${logicalId} has no Type`);
      const earlier = resources.get(logicalId);
      if (earlier) throw new Error(`${file}: Resources.${logicalId} is also defined in ${earlier.file}`);
      const properties = resource.Properties ?? {};
      if (!isRecord(properties)) throw new Error(`${file}: Resources.${logicalId}.Properties is not a mapping`);
      resources.set(logicalId, { logicalId, type: resource.Type, properties, file });
    }
  }
  return resources;
}

const VARIABLE = /\$\{([^}]*)\}/g;

/** Replaces the supported variables in every string of `value`; `where` and `path` name it in errors. */
export function substituteVariables(value: unknown, variables: TemplateVariables, where: string, path: string): unknown {
  if (typeof value === 'string') {
    return value.replace(VARIABLE, (whole: string, name: string) => {
      const trimmed = name.trim();
      if (trimmed === 'self:service') return variables.service;
      if (trimmed === 'sls:stage') return variables.stage;
      throw new Error(`${where}: ${path || '(root)'} uses ${whole}; the local stack resolves only \${self:service} and \${sls:stage}`);
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => substituteVariables(item, variables, where, `${path}[${index}]`));
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, substituteVariables(item, variables, where, path ? `${path}.${key}` : key)]),
    );
  }
  return value;
}

/**
 * Deep-merges `override` into `base`: nested mappings merge, anything else (including an
 * intrinsic such as `{ 'Fn::GetAtt': [...] }` and arrays) replaces, and `undefined` removes.
 */
export function mergeProperties(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = merged[key];
    if (value === undefined) delete merged[key];
    else if (isRecord(value) && isRecord(current) && !isIntrinsic(value)) merged[key] = mergeProperties(current, value);
    else merged[key] = value;
  }
  return merged;
}

/** True for `{ Ref: ... }` and `{ 'Fn::Xxx': ... }`. */
export function isIntrinsic(value: Record<string, unknown>): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'));
}

/** A plain mapping (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
