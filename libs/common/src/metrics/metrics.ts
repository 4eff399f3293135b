import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * The process's own metrics (CPU, memory, GC, handles, event-loop lag and its percentiles), collected
 * once per process: every collector starts a monitor of its own, and tests build many apps in one.
 */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * One app's metrics: its own registry, not prom-client's global one, so apps in one process
 * (tests, a second instance) never share or collide. Instruments register on `registry`;
 * gauges read their value when scraped, so nothing is counted twice on a hot path.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;

  /** The Prometheus text exposition of this app's metrics and the process defaults. */
  scrape(): Promise<string> {
    return Registry.merge([processMetrics(), this.registry]).metrics();
  }
}
