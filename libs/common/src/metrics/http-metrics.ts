import { Histogram } from 'prom-client';
import type { Metrics } from './metrics';

/** What a request matched no route as: the raw path would make a series per URL anyone sends. */
export const UNMATCHED_ROUTE = 'unmatched';
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];

type Observer = (seconds: number) => void;

/**
 * `http_request_duration_seconds{method, route, status_class}`: route is the template
 * (`/api/v1/projects/:project`), never a path, so the series are bounded by the routes. The
 * labelled child is looked up once per method, route and class, then only observed.
 */
export class HttpMetrics {
  private readonly duration: Histogram<'method' | 'route' | 'status_class'>;
  private readonly observers = new Map<string, Map<string, Observer[]>>();

  constructor(metrics: Metrics) {
    this.duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer a request, by method, route template and status class.',
      labelNames: ['method', 'route', 'status_class'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [metrics.registry],
    });
  }

  observe(method: string, route: string | undefined, status: number, seconds: number): void {
    const template = route ?? UNMATCHED_ROUTE;
    let byMethod = this.observers.get(template);
    if (!byMethod) this.observers.set(template, (byMethod = new Map()));
    let byClass = byMethod.get(method);
    if (!byClass) byMethod.set(method, (byClass = []));
    const index = Math.min(Math.max(Math.floor(status / 100), 1), 5) - 1;
    let observer = byClass[index];
    if (!observer) {
      const child = this.duration.labels(method, template, STATUS_CLASSES[index]);
      byClass[index] = observer = (value) => child.observe(value);
    }
    observer(seconds);
  }
}
