// Metric names a PromQL expression reads, from the official PromQL grammar (@prometheus-io/lezer-promql).
import { parser } from '@prometheus-io/lezer-promql';

export class PromqlSyntaxError extends Error {
  override readonly name = 'PromqlSyntaxError';
}

export function metricNames(expr: string): string[] {
  const tree = parser.parse(expr);
  const names: string[] = [];
  const cursor = tree.cursor();
  do {
    if (cursor.type.isError) throw new PromqlSyntaxError(`cannot parse PromQL at ${cursor.from}: ${expr}`);
    if (cursor.name === 'VectorSelector') {
      const node = cursor.node.getChild('Identifier');
      if (node) names.push(expr.slice(node.from, node.to));
    }
  } while (cursor.next());
  return names;
}
