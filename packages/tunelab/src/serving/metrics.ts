// The server's Prometheus metrics, in the text exposition format (version 0.0.4): requests by route and status,
// errors, a latency histogram, a batch-size histogram and the queue depth.

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly buckets: number[]) {
    this.counts = buckets.map(() => 0);
  }

  observe(value: number): void {
    this.buckets.forEach((bound, i) => { if (value <= bound) this.counts[i]++; });
    this.sum += value;
    this.count++;
  }

  lines(name: string): string[] {
    return [
      ...this.buckets.map((bound, i) => `${name}_bucket{le="${bound}"} ${this.counts[i]}`),
      `${name}_bucket{le="+Inf"} ${this.count}`,
      `${name}_sum ${this.sum}`,
      `${name}_count ${this.count}`,
    ];
  }
}

export class ServingMetrics {
  private readonly requests = new Map<string, number>();
  private errors = 0;
  private inputs = 0;
  private readonly latency = new Histogram(LATENCY_BUCKETS);
  private readonly batchSizes = new Histogram(BATCH_BUCKETS);

  constructor(private readonly queueDepth: () => number, private readonly inFlight: () => number) {}

  /** One answered request; `route` is the route pattern (never the raw path, which a client chooses). */
  request(route: string, status: number, seconds: number): void {
    const key = `route="${route}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    if (status >= 400) this.errors++;
    this.latency.observe(seconds);
  }

  predicted(inputs: number): void {
    this.inputs += inputs;
  }

  batch(rows: number): void {
    this.batchSizes.observe(rows);
  }

  text(): string {
    const lines = [
      '# HELP tunelab_serve_requests_total HTTP requests answered, by route and status code.',
      '# TYPE tunelab_serve_requests_total counter',
      ...[...this.requests].map(([labels, count]) => `tunelab_serve_requests_total{${labels}} ${count}`),
      '# HELP tunelab_serve_request_errors_total Requests answered with a 4xx or 5xx status.',
      '# TYPE tunelab_serve_request_errors_total counter',
      `tunelab_serve_request_errors_total ${this.errors}`,
      '# HELP tunelab_serve_inputs_total Inputs predicted (a list request counts each of its inputs).',
      '# TYPE tunelab_serve_inputs_total counter',
      `tunelab_serve_inputs_total ${this.inputs}`,
      '# HELP tunelab_serve_request_duration_seconds Time from request to response.',
      '# TYPE tunelab_serve_request_duration_seconds histogram',
      ...this.latency.lines('tunelab_serve_request_duration_seconds'),
      '# HELP tunelab_serve_batch_size Rows (model inputs) per forward pass.',
      '# TYPE tunelab_serve_batch_size histogram',
      ...this.batchSizes.lines('tunelab_serve_batch_size'),
      '# HELP tunelab_serve_queue_depth Rows waiting for a batch.',
      '# TYPE tunelab_serve_queue_depth gauge',
      `tunelab_serve_queue_depth ${this.queueDepth()}`,
      '# HELP tunelab_serve_requests_in_flight HTTP requests being answered (this one included).',
      '# TYPE tunelab_serve_requests_in_flight gauge',
      `tunelab_serve_requests_in_flight ${this.inFlight()}`,
    ];
    return `${lines.join('\n')}\n`;
  }
}
