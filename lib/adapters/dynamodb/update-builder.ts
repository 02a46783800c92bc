/** Builds a DynamoDB update expression from SET and REMOVE parts, with its names and values. */
export class UpdateBuilder {
  readonly names: Record<string, string> = { '#state': 'state' };
  readonly values: Record<string, unknown> = {};
  private readonly sets: string[] = [];
  private readonly removes = new Set<string>();

  set(attribute: string, value: unknown, expression?: string): this {
    const placeholder = `:${attribute}`;
    this.values[placeholder] = value;
    this.sets.push(`${attribute === 'state' ? '#state' : attribute} = ${expression ?? placeholder}`);
    return this;
  }

  /** A value used only inside an expression given to `set`. */
  value(placeholder: string, value: unknown): this {
    this.values[placeholder] = value;
    return this;
  }

  remove(...attributes: string[]): this {
    for (const attribute of attributes) this.removes.add(attribute);
    return this;
  }

  expression(): string {
    const removes = [...this.removes].filter((r) => !this.sets.some((s) => s.startsWith(`${r} =`)));
    return `SET ${this.sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`;
  }
}
