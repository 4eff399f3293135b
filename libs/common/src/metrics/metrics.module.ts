import { Global, Module } from '@nestjs/common';
import { HttpMetrics } from './http-metrics';
import { Metrics } from './metrics';

/** One registry per app, for every module that counts something. */
@Global()
@Module({
  providers: [Metrics, { provide: HttpMetrics, useFactory: (metrics: Metrics) => new HttpMetrics(metrics), inject: [Metrics] }],
  exports: [Metrics, HttpMetrics],
})
export class MetricsModule {}
