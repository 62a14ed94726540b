/**
 * The webhook's metrics, in the Prometheus text exposition format (version
 * 0.0.4): counters with labels and one latency histogram. No dependency: a
 * handful of maps.
 */

/** Latency buckets (seconds): the API server's default webhook timeout is 10 s. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

type Labels = Readonly<Record<string, string>>;

interface Family {
  help: string;
  type: 'counter' | 'gauge';
  values: Map<string, number>;
}

const PREFIX = 'distroless_init_webhook_';

export class Metrics {
  private readonly families = new Map<string, Family>();
  private readonly buckets = new Array<number>(LATENCY_BUCKETS.length).fill(0);
  private latencyCount = 0;
  private latencySum = 0;

  constructor() {
    this.define('requests_total', 'counter', 'HTTP requests, by path and status code.');
    this.define('reviews_total', 'counter', 'AdmissionReviews answered, by outcome (patched, unchanged, declined, bad-request) and dry_run.');
    this.define('patches_total', 'counter', 'Pods answered with a JSON Patch (dry runs included, labelled).');
    this.define('declines_total', 'counter', 'Pods admitted unchanged because the split reported an error, by code.');
    this.define('errors_total', 'counter', 'Requests or connections that failed, by kind (bad_request, too_large, timeout, tls, client, internal).');
    this.define('config_reloads_total', 'counter', 'Reloads of the templates and config, by result (success, failure).');
    this.define('config_last_reload_success', 'gauge', '1 if the last reload of the templates and config succeeded (or none happened yet), else 0.');
    this.set('config_last_reload_success', {}, 1);
  }

  private define(name: string, type: Family['type'], help: string): void {
    this.families.set(name, { help, type, values: new Map() });
  }

  inc(name: string, labels: Labels = {}, by = 1): void {
    const f = this.families.get(name);
    if (!f) throw new Error(`unknown metric ${name}`);
    const key = labelText(labels);
    f.values.set(key, (f.values.get(key) ?? 0) + by);
  }

  set(name: string, labels: Labels, value: number): void {
    const f = this.families.get(name);
    if (!f) throw new Error(`unknown metric ${name}`);
    f.values.set(labelText(labels), value);
  }

  /** The value of a counter or gauge (tests). */
  get(name: string, labels: Labels = {}): number {
    return this.families.get(name)?.values.get(labelText(labels)) ?? 0;
  }

  observeLatency(seconds: number): void {
    this.latencyCount++;
    this.latencySum += seconds;
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) if (seconds <= LATENCY_BUCKETS[i]!) this.buckets[i]!++;
  }

  /** The exposition text. */
  render(): string {
    const lines: string[] = [];
    for (const [name, f] of this.families) {
      lines.push(`# HELP ${PREFIX}${name} ${f.help}`, `# TYPE ${PREFIX}${name} ${f.type}`);
      for (const [labels, v] of [...f.values].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) lines.push(`${PREFIX}${name}${labels} ${v}`);
    }
    const h = `${PREFIX}review_duration_seconds`;
    lines.push(`# HELP ${h} Time from the end of the request body to the response, for AdmissionReviews.`, `# TYPE ${h} histogram`);
    LATENCY_BUCKETS.forEach((b, i) => lines.push(`${h}_bucket{le="${b}"} ${this.buckets[i]}`));
    lines.push(`${h}_bucket{le="+Inf"} ${this.latencyCount}`, `${h}_sum ${this.latencySum}`, `${h}_count ${this.latencyCount}`);
    return `${lines.join('\n')}\n`;
  }
}

function labelText(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${labels[k]!.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}
