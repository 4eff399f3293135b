import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiProblems, Metrics, Public } from '@switchboard/common';
import { prometheusContentType } from 'prom-client';
import { MetricsAccessGuard } from './metrics-access.guard';

@ApiTags('metrics')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get()
  @ApiBearerAuth('bearer')
  @Public()
  @UseGuards(MetricsAccessGuard)
  @Header('content-type', prometheusContentType)
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Prometheus metrics (instance admins, or the SWITCHBOARD_METRICS_TOKEN bearer)',
    description:
      'Request durations by route template and status class, connector operations by type, operation and outcome, ' +
      'outbound refusals, session cache and pool sizes, and the process defaults, in the Prometheus text format.',
  })
  @ApiProduces(prometheusContentType)
  @ApiOkResponse({
    description: 'Prometheus text exposition format 0.0.4.',
    content: { [prometheusContentType]: { schema: { type: 'string' } } },
  })
  @ApiProblems(401, 403)
  scrape(): Promise<string> {
    return this.metrics.scrape();
  }
}
