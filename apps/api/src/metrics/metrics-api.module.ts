import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { MetricsAccessGuard } from './metrics-access.guard';

/** GET /metrics, outside /api/v1 where scrapers expect it. */
@Module({
  controllers: [MetricsController],
  providers: [MetricsAccessGuard],
})
export class MetricsApiModule {}
